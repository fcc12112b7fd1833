import Foundation

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TempDirectory {
    let path: String

    init(_ label: String = "attr") throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("fedattr-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func read(_ name: String) throws -> String { try String(contentsOfFile: file(name), encoding: .utf8) }

    func write(_ name: String, _ text: String) throws { try text.write(toFile: file(name), atomically: true, encoding: .utf8) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
