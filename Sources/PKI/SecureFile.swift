import Foundation

/// Reading key material and writing it with exact permissions, independent of the process umask.
enum SecureFile {
    /// The contents of `path`; `.fileNotFound` / `.fileUnreadable` / `.emptyInput(what:)` on failure.
    static func read(_ path: String, what: String) throws(PKIError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT { throw .fileNotFound(path: path) }
            throw .fileUnreadable(path: path, errno: e)
        }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .fileUnreadable(path: path, errno: errno)
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        if result.isEmpty { throw .emptyInput(what: "\(what) (\(path))") }
        return result
    }

    /// Writes `bytes` to `path` with permission bits exactly `mode` (applied with fchmod, so the umask cannot widen or narrow them).
    /// With `exclusive`, an existing file is an error (`.fileExists`) rather than being replaced.
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t, exclusive: Bool) throws(PKIError) {
        var flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW
        flags |= exclusive ? O_EXCL : O_TRUNC
        let fd = open(path, flags, mode)
        if fd < 0 {
            let e = errno
            if e == EEXIST { throw .fileExists(path: path) }
            throw .fileWriteFailed(path: path, errno: e)
        }
        defer { close(fd) }
        if fchmod(fd, mode) != 0 { throw .fileWriteFailed(path: path, errno: errno) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .fileWriteFailed(path: path, errno: errno)
            }
            offset += n
        }
        if fsync(fd) != 0 { throw .fileWriteFailed(path: path, errno: errno) }
    }

    /// Creates `path` (and parents) as a directory with mode `mode` if it does not exist; an existing directory keeps its mode.
    static func makeDirectory(_ path: String, mode: mode_t) throws(PKIError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return }
            throw .fileWriteFailed(path: path, errno: ENOTDIR)
        }
        // URL, not NSString: Foundation 6.3's NSString.deletingLastPathComponent traps on a one-character name ("r").
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().path
        if parent != url.path { try makeDirectory(parent, mode: 0o755) }
        if mkdir(path, mode) != 0 && errno != EEXIST { throw .fileWriteFailed(path: path, errno: errno) }
        if chmod(path, mode) != 0 { throw .fileWriteFailed(path: path, errno: errno) }
    }
}
