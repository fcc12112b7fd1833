import Foundation

/// The result of running an external tool: exit status, standard output and error together, and whether it was killed.
public struct ToolResult: Sendable {
    public var status: Int32
    public var output: String
    public var timedOut: Bool
}

/// A nonzero exit of a tool run by `Tool.output`, with its standard error.
public struct ToolFailure: Error, CustomStringConvertible {
    public var command: [String]
    public var status: Int32
    public var standardError: String
    public var description: String { "\(command.joined(separator: " ")) exited \(status): \(standardError)" }
}

/// External programs (openssl, nngcat, python3, the fedattr binary) run from tests, always with a bound.
public enum Tool {
    /// The absolute path of `name` on PATH, or nil.
    public static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Starts `executable` with `arguments`; stdout and stderr go to `outputFile`, read by `finish`.
    public static func start(_ executable: String, _ arguments: [String], outputFile: String) throws -> Process {
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
    public static func finish(_ process: Process, outputFile: String, timeout: TimeInterval) -> ToolResult {
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

    /// Runs `executable` to completion (at most `timeout` seconds), standard output and error together.
    public static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 20) throws -> ToolResult {
        let directory = try TemporaryDirectory("tool")
        defer { directory.remove() }
        let outputFile = directory.file("output.txt")
        let process = try start(executable, arguments, outputFile: outputFile)
        return finish(process, outputFile: outputFile, timeout: timeout)
    }

    /// Runs `executable` and returns its standard output; a nonzero exit throws `ToolFailure` with its standard error.
    /// `environment` is added to this process's environment without its `FEDATTR_*` variables.
    public static func output(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                              directory: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FEDATTR_") }
        env["OPENBLAS_NUM_THREADS"] = "1"
        env.merge(environment) { $1 }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let errors = try TemporaryDirectory("stderr")
        defer { errors.remove() }
        let errorFile = errors.file("stderr")
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: errorFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolFailure(command: [executable] + arguments, status: process.terminationStatus,
                              standardError: (try? errors.read("stderr")) ?? "")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `python3 arguments…` (the first python3 on PATH, as deploy/install-deps.sh sets up), standard output.
    public static func python(_ arguments: [String]) throws -> String {
        try output("/usr/bin/env", ["python3"] + arguments)
    }
}
