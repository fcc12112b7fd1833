import Foundation

/// A fresh private directory (mode 0700) under the system temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "test") throws {
        var template = Array((NSTemporaryDirectory() + "/fedattr-\(label)-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        path = String(cString: made)
    }

    /// DIR/name
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func read(_ name: String) throws -> String { try String(contentsOfFile: file(name), encoding: .utf8) }

    public func write(_ name: String, _ text: String) throws { try text.write(toFile: file(name), atomically: true, encoding: .utf8) }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
