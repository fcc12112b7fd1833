import Foundation
@testable import PKI

/// A fresh private directory under the system temp dir, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/pkitests-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A CA with one client and one coordinator credential, shared by tests that only read them.
enum Fixture {
    static let now = Date()
    static let day: TimeInterval = 86_400

    static let authority: CertificateIssuer = try! CertificateIssuer.makeAuthority(
        commonName: "test CA", notBefore: now - 30 * day, notAfter: now + 30 * day)

    static let client: Credential = try! authority.issue(
        commonName: "client-0", purpose: .client, dnsNames: ["client-0"], notBefore: now - day, notAfter: now + 10 * day)

    static let server: Credential = try! authority.issue(
        commonName: "coordinator", purpose: .server, dnsNames: ["localhost", "coordinator"], ipAddresses: ["127.0.0.1"],
        notBefore: now - day, notAfter: now + 10 * day)

    static var anchor: TrustAnchor { try! TrustAnchor(certificate: authority.certificate) }
}

/// The result of running an external tool.
struct ToolResult {
    var status: Int32
    var output: String
    var timedOut: Bool
}

enum Tool {
    /// The absolute path of `name` on PATH, or nil.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Starts `executable` with `arguments`; stdout and stderr go to a temp file read by `finish`.
    static func start(_ executable: String, _ arguments: [String], outputFile: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits at most `timeout` seconds for `process`, killing it if it runs longer.
    static func finish(_ process: Process, outputFile: String, timeout: TimeInterval) -> ToolResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        return ToolResult(status: process.terminationStatus, output: output, timedOut: timedOut)
    }

    /// Runs `executable` to completion (at most `timeout` seconds).
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 20) throws -> ToolResult {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outputFile = directory.file("output.txt")
        let process = try start(executable, arguments, outputFile: outputFile)
        return finish(process, outputFile: outputFile, timeout: timeout)
    }
}
