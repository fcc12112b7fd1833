import Foundation
import Logging
import PKI

/// `fedattr up`: a throwaway PKI, then a coordinator and N clients as separate OS processes over
/// tls+tcp://127.0.0.1, with logs and results under one directory; stops everything it started on exit.
public final class LocalCluster: @unchecked Sendable {  // the process list is guarded by `lock`
    /// What to start.
    public struct Options: Sendable {
        public var executable: String
        public var clients: Int
        public var outputDirectory: String
        /// Settings passed to the coordinator as flags (rounds, dataset, model, evaluators, …).
        public var coordinatorFlags: [String: String]
        /// Settings passed to every client as flags (data-dir, log-level, …).
        public var clientFlags: [String: String]
        public var port: Int?
        /// Client id → attack item (`--attack`) for the clients that attack; the rest are honest.
        public var attacks: [String: String]
        /// Client indices not started (leave-one-client-out runs; the coordinator's min-clients must allow for them).
        public var absent: Set<Int>
        /// Relay the coordinator's progress lines to standard output (else they go to OUT/logs/coordinator.stdout).
        public var relayProgress: Bool

        public init(executable: String, clients: Int, outputDirectory: String, coordinatorFlags: [String: String] = [:],
                    clientFlags: [String: String] = [:], port: Int? = nil, attacks: [String: String] = [:],
                    absent: Set<Int> = [], relayProgress: Bool = true) {
            self.attacks = attacks
            self.absent = absent
            self.relayProgress = relayProgress
            self.executable = executable
            self.clients = clients
            self.outputDirectory = outputDirectory
            self.coordinatorFlags = coordinatorFlags
            self.clientFlags = clientFlags
            self.port = port
        }
    }

    private let options: Options
    private let logger: Logger
    private let lock = NSLock()
    private var processes: [(name: String, process: Process)] = []
    private var failedClients: [String: String] = [:]

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Starts the cluster, relays the coordinator's progress to standard output and waits for it to finish.
    /// Returns the coordinator's exit status.
    public func run() throws -> Int32 {
        let out = options.outputDirectory
        let run = RunLayout(directory: out)
        let fm = FileManager.default
        try? fm.removeItem(atPath: run.pki.directory)
        for directory in [out, run.logs] {
            do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw FederationError.cannotWrite(path: directory)
            }
        }
        for file in [run.rounds, run.attribution, run.ledger, run.summary, run.coordinatorLog] {
            try? fm.removeItem(atPath: file)
        }
        try PKIBuilder.initialize(directory: run.pki.directory, clients: options.clients)
        let port = try options.port ?? Self.freePort()
        let url = "tls+tcp://127.0.0.1:\(port)"
        logger.info("starting local cluster", metadata: ["clients": "\(options.clients)", "url": "\(url)", "out": "\(out)"])

        var coordinatorFlags = options.coordinatorFlags
        coordinatorFlags["listen"] = url
        coordinatorFlags["pki-dir"] = run.pki.directory
        coordinatorFlags["out"] = out
        coordinatorFlags["clients"] = "\(options.clients)"
        coordinatorFlags["log-file"] = run.coordinatorLog
        let progress = options.relayProgress ? FileHandle.standardOutput : Self.file(run.logs + "/coordinator.stdout")
        let coordinator = try start(name: "coordinator", arguments: ["coordinator"] + Self.arguments(coordinatorFlags),
                                    stdout: progress, stderr: run.standardError("coordinator"))
        for i in 0..<options.clients where !options.absent.contains(i) {
            var flags = options.clientFlags
            flags["id"] = "client-\(i)"
            flags["attack"] = options.attacks["client-\(i)"] ?? "none"  // FEDATTR_ATTACK inherited from the environment must not make every client attack
            flags["coordinator"] = url
            flags["pki-dir"] = run.pki.directory
            flags["log-file"] = run.log(PKILayout.clientName(i))
            _ = try start(name: "client-\(i)", arguments: ["client"] + Self.arguments(flags),
                          stdout: nil, stderr: run.standardError(PKILayout.clientName(i)))
        }
        coordinator.waitUntilExit()
        let status = coordinator.terminationStatus
        stopAll()
        let failures = clientFailures()
        for (name, how) in failures.sorted(by: { $0.key < $1.key }) {
            logger.error("client ended abnormally", metadata: [
                "client": "\(name)", "how": "\(how)", "stderr": "\(run.standardError(name))", "log": "\(run.log(name))"])
        }
        lock.lock()
        failedClients = failures
        lock.unlock()
        if status != 0 {
            logger.error("coordinator failed", metadata: ["status": "\(status)", "log": "\(run.coordinatorLog)"])
        }
        return status
    }

    /// Clients that ended by a signal or with a non-zero status, with how ("signal 11", "exit status 1"); filled in by
    /// `run()`. The SIGTERM and SIGKILL of `stopAll` are not counted: they are how `up` ends clients still running.
    public var clientsEndedAbnormally: [String: String] {
        lock.lock()
        defer { lock.unlock() }
        return failedClients
    }

    private func clientFailures() -> [String: String] {
        lock.lock()
        let clients = processes.filter { $0.name != "coordinator" && !$0.process.isRunning }
        lock.unlock()
        var failures: [String: String] = [:]
        for (name, process) in clients {
            switch process.terminationReason {
            case .uncaughtSignal where process.terminationStatus == SIGTERM || process.terminationStatus == SIGKILL: break
            case .uncaughtSignal: failures[name] = "signal \(process.terminationStatus)"
            case .exit where process.terminationStatus != 0: failures[name] = "exit status \(process.terminationStatus)"
            default: break
            }
        }
        return failures
    }

    /// The process ids of what has been started so far, by name (`coordinator`, `client-N`), for monitoring.
    public var processIDs: [String: Int32] {
        lock.lock()
        defer { lock.unlock() }
        return Dictionary(processes.map { ($0.name, $0.process.processIdentifier) }) { $1 }
    }

    /// Sends SIGTERM to every process still running, then SIGKILL after a grace period.
    public func stopAll(grace: TimeInterval = 3) {
        lock.lock()
        let running = processes.filter { $0.process.isRunning }
        lock.unlock()
        for p in running { p.process.terminate() }
        let deadline = Date().addingTimeInterval(grace)
        while running.contains(where: { $0.process.isRunning }), Date() < deadline { usleep(20_000) }
        for p in running where p.process.isRunning { kill(p.process.processIdentifier, SIGKILL) }
    }

    private func start(name: String, arguments: [String], stdout: FileHandle?, stderr: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: options.executable)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = stdout ?? FileHandle.nullDevice
        p.standardError = Self.file(stderr)
        do { try p.run() } catch {
            throw FederationError.processFailed(name: name, status: -1)
        }
        lock.lock()
        processes.append((name, p))
        lock.unlock()
        logger.debug("started", metadata: ["process": "\(name)", "pid": "\(p.processIdentifier)"])
        return p
    }

    private static func file(_ path: String) -> FileHandle {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return FileHandle(forWritingAtPath: path) ?? FileHandle.nullDevice
    }

    static func arguments(_ flags: [String: String]) -> [String] {
        flags.keys.sorted().flatMap { ["--\($0)", flags[$0]!] }
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0 and read back the port).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FederationError.cannotWrite(path: "socket") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sp in
                bind(fd, sp, len) == 0 && getsockname(fd, sp, &len) == 0
            }
        }
        guard ok else { throw FederationError.cannotWrite(path: "bind 127.0.0.1:0") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
