import Foundation

/// Replaces a file so that after a crash or power loss it holds either the old or the new content, never a mix:
/// write a temporary file next to it, fsync it, rename it over the target, fsync the directory.
enum DurableFile {
    static func write(_ data: Data, to path: String) throws {
        // URL, not NSString: Foundation 6.3's NSString.deletingLastPathComponent traps on a one-character name.
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path, "cannot create \(temporary)") }
        var written = 0
        var failed: String?
        data.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = String(cString: strerror(errno))
                    return
                }
                written += n
            }
        }
        if failed == nil, fsync(fd) != 0 { failed = String(cString: strerror(errno)) }
        close(fd)
        if let failed {
            unlink(temporary)
            throw failure(path, "writing \(temporary): \(failed)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw failure(path, "rename: \(reason)")
        }
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }

    private static func failure(_ path: String, _ reason: String) -> FederationError {
        .cannotWriteBecause(path: path, reason: reason)
    }
}
