import Foundation
@testable import Federation
import PKI

/// Starts `fedattr` processes for integration tests and waits on their output files, always with a bound.
enum ProcessHarness {
    /// The `fedattr` executable built next to the test bundle.
    static var binary: String {
        let dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return dir.appendingPathComponent("fedattr").path
    }

    static func temporaryDirectory(_ tag: String) -> String {
        let path = NSTemporaryDirectory() + "fedattr-\(tag)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Starts `fedattr args…` (after the command `launcher`, e.g. `ip netns exec NS`, when given) with stdout/stderr
    /// to files under `logDirectory`, in `workingDirectory` when given, with `environment` set (nil: removed) over this one's.
    static func start(_ args: [String], name: String, logDirectory: String, launcher: [String] = [],
                      workingDirectory: String? = nil, environment overrides: [String: String?] = [:]) throws -> Process {
        let p = Process()
        if let workingDirectory { p.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        p.executableURL = URL(fileURLWithPath: launcher.first ?? binary)
        p.arguments = launcher.isEmpty ? args : Array(launcher.dropFirst()) + [binary] + args
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        for (key, value) in overrides { env[key] = value }
        p.environment = env
        let out = "\(logDirectory)/\(name).stdout"
        let err = "\(logDirectory)/\(name).stderr"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle(forWritingAtPath: err)
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Waits for `process` to exit; kills it and returns nil after `timeout` seconds.
    static func wait(_ process: Process, timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    static func stop(_ processes: [Process]) {
        for p in processes where p.isRunning {
            kill(p.processIdentifier, SIGCONT)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
    }

    /// Lines of a JSONL file parsed as dictionaries (missing file: none).
    static func jsonLines(_ path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Polls until `condition` holds or `timeout` passes; returns whether it held.
    static func eventually(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Flags for a small, fast federation on synthetic data.
    static func smallFederation(clients: Int, rounds: Int) -> [String] {
        ["--clients", "\(clients)", "--rounds", "\(rounds)", "--dataset", "synthetic", "--synthetic-count", "\(600 * clients)",
         "--validation-size", "200", "--test-size", "300", "--model", "mlp:16", "--partition", "dirichlet:0.5"]
    }
}

/// A throwaway PKI and a free tls+tcp port on 127.0.0.1 under one directory, with starters for a coordinator and
/// clients that log there (logfmt files `coordinator.log`, `client-N.log`; results in `out`).
struct TLSClusterFixture {
    let dir: String
    let out: String
    let pki: String
    let url: String

    /// `coordinatorAddresses`: IP addresses the coordinator certificate names besides 127.0.0.1 (for clients that dial
    /// it elsewhere, `url(host:)`).
    init(_ tag: String, clients: Int, coordinatorAddresses: [String] = []) throws {
        dir = ProcessHarness.temporaryDirectory(tag)
        out = dir + "/run"
        pki = dir + "/pki"
        _ = try PKIBuilder.initialize(directory: pki, clients: clients,
                                      ipAddresses: PKIBuilder.CoordinatorNames.defaultIPAddresses + coordinatorAddresses)
        url = "tls+tcp://127.0.0.1:\(try LocalCluster.freePort())"
    }

    /// The coordinator's URL with `host` in place of 127.0.0.1 (same port).
    func url(host: String) -> String { url.replacingOccurrences(of: "127.0.0.1", with: host) }

    /// `fedattr coordinator` on `url` with a small synthetic federation of `clients` and `rounds`, plus `flags`.
    func startCoordinator(clients: Int, rounds: Int, _ flags: [String]) throws -> Process {
        try startCoordinator(federation: flags + ProcessHarness.smallFederation(clients: clients, rounds: rounds))
    }

    /// `fedattr coordinator` on `listen` (default `url`) with exactly the federation `flags`.
    func startCoordinator(federation flags: [String], listen: String? = nil) throws -> Process {
        try ProcessHarness.start(["coordinator", "--listen", listen ?? url, "--pki-dir", pki, "--out", out, "--log-file", dir + "/coordinator.log"]
                                 + flags, name: "coordinator", logDirectory: dir)
    }

    /// `fedattr client --id client-<index>` dialing `coordinator` (default `url`), started through `launcher` if given.
    /// A restarted client appends to the same log.
    func startClient(_ index: Int, coordinator: String? = nil, launcher: [String] = []) throws -> Process {
        try ProcessHarness.start(["client", "--id", "client-\(index)", "--coordinator", coordinator ?? url, "--pki-dir", pki,
                                  "--log-file", "\(dir)/client-\(index).log"], name: "client-\(index)", logDirectory: dir,
                                 launcher: launcher)
    }

    var coordinatorLog: String { ProcessHarness.read(dir + "/coordinator.log") }
    var coordinatorStderr: String { ProcessHarness.read(dir + "/coordinator.stderr") }
    var rounds: [[String: Any]] { ProcessHarness.jsonLines(out + "/rounds.jsonl") }
}
