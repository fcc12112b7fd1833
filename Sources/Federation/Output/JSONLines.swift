import Foundation

/// Appends Codable values as JSON lines (RunJSON's conventions, one object per line) and writes JSON documents.
final class JSONLines: @unchecked Sendable {  // writes are serialised by `lock`
    private let handle: FileHandle
    private let lock = NSLock()
    let path: String

    init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw FederationError.cannotWrite(path: path) }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw FederationError.cannotWrite(path: path) }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    /// Appends one line; throws (instead of trapping, as FileHandle.write(_:) does) when the disk refuses it.
    func append<T: Encodable>(_ value: T) throws { try append(contentsOf: [value]) }

    /// Appends one line per value with a single write (the same bytes as appending them one by one); throws
    /// (instead of trapping, as FileHandle.write(_:) does) when the disk refuses it.
    func append<T: Encodable>(contentsOf values: [T]) throws {
        guard !values.isEmpty else { return }
        var data = Data()
        for value in values {
            data.append(try Self.encoder.encode(value))
            data.append(0x0a)
        }
        lock.lock()
        defer { lock.unlock() }
        do {
            try handle.seekToEnd()  // the file may have been cut back after a failed write
            try handle.write(contentsOf: data)
        } catch {
            throw FederationError.cannotWriteBecause(path: path, reason: "\(error)")
        }
    }

    static let encoder = RunJSON.encoder()

    /// Writes `value` as pretty JSON to `path`, atomically.
    static func writeDocument<T: Encodable>(_ value: T, to path: String) throws {
        do { try RunJSON.encoder(pretty: true).encode(value).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw FederationError.cannotWrite(path: path)
        }
    }
}
