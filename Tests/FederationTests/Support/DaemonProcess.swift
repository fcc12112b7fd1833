import Foundation

/// The `fedattr` executable built next to this test bundle (`swift test` builds it; otherwise run `swift build`).
func fedattrExecutable() throws -> String {
    let url = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("fedattr")
    guard FileManager.default.isExecutableFile(atPath: url.path) else {
        throw DaemonProcess.Failure.missingExecutable(url.path)
    }
    return url.path
}

/// One `fedattr` daemon run as a real OS process with standard output and error in files; `stop()` ends it for sure.
final class DaemonProcess: @unchecked Sendable {  // Process is only touched from the test's thread
    enum Failure: Error, CustomStringConvertible {
        case missingExecutable(String)
        var description: String {
            switch self {
            case let .missingExecutable(path): return "no fedattr executable at \(path): run `swift build` first"
            }
        }
    }

    let name: String
    let stdoutPath: String
    let stderrPath: String
    private let process = Process()
    /// The OS process id (for /proc readings).
    var pid: Int32 { process.processIdentifier }

    /// Starts `fedattr arguments…` with a clean FEDATTR_* environment and one BLAS thread.
    init(name: String, arguments: [String], directory: String) throws {
        self.name = name
        stdoutPath = "\(directory)/\(name).stdout"
        stderrPath = "\(directory)/\(name).stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: try fedattrExecutable())
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FEDATTR_") }
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
    }

    /// The exit status once the process has exited by itself, or nil if it still runs after `seconds`.
    func waitForExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    var isRunning: Bool { process.isRunning }

    /// SIGTERM, then SIGKILL after `grace` seconds; returns once the process is gone (bounded).
    func stop(grace: Double = 3) {
        guard process.isRunning else { return }
        process.terminate()
        if waitForExit(seconds: grace) == nil {
            kill(process.processIdentifier, SIGKILL)
            _ = waitForExit(seconds: 5)
        }
    }

    var standardError: String { read(stderrPath) }
    var standardOutput: String { read(stdoutPath) }
}

/// The text of `path`, or "" if it cannot be read.
func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
