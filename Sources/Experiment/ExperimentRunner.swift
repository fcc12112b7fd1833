import Adversary
import Federation
import Foundation
import Learning
import Logging

/// Runs an experiment's federations — the same Coordinator and Client code, in process over inproc:// or as
/// TLS processes — `jobs` at a time, skipping runs whose summary.json is already complete, and prints one
/// progress line per finished run with the experiment's ETA.
public final class ExperimentRunner: @unchecked Sendable {  // mutable progress state is guarded by `lock`
    public enum Mode: Sendable { case inProcess, processes(executable: String) }

    public let plan: ExperimentPlan
    public let directory: String
    public let mode: Mode
    public let jobs: Int
    private let logLevel: Logger.Level
    private let console: @Sendable (String) -> Void
    private let lock = NSLock()
    private var finished = 0
    private var failures: [(ExperimentPlan.Run, String)] = []

    /// An attack condition's name is the attacker's `--attack` item (e.g. `scale(factor=3)`), built by StrategyRegistry.
    public init(plan: ExperimentPlan, directory: String, mode: Mode = .inProcess, jobs: Int,
                logLevel: Logger.Level = .info,
                console: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.plan = plan
        self.directory = directory
        self.mode = mode
        self.jobs = max(1, jobs)
        self.logLevel = logLevel
        self.console = console
    }

    /// What a finished experiment did.
    public struct Outcome: Sendable {
        public var ran: Int
        public var skipped: Int
        public var failed: [String]
        public var seconds: Double
        /// Runs per minute of the runs executed now (skipped ones excluded).
        public var runsPerMinute: Double
    }

    /// Whether `run` is complete: a summary.json of all planned rounds, and rounds.jsonl and attribution.jsonl that
    /// read back with every round (what results.md is computed from); anything less is run again.
    public func isComplete(_ run: ExperimentPlan.Run) -> Bool {
        let runDirectory = directory + "/" + run.path
        guard let data = FileManager.default.contents(atPath: RunLayout(directory: runDirectory).summary),
              let summary = try? RunJSON.decoder().decode(RunSummary.self, from: data), summary.rounds == plan.rounds,
              let report = try? RunReport(directory: runDirectory) else { return false }
        return report.rounds.count == plan.rounds
    }

    /// Runs every incomplete run; a failed run is reported and the others go on.
    public func run() throws -> Outcome {
        try plan.write(to: directory)
        // Each run is one thread per client plus the coordinator; OpenBLAS's own threads would only contend.
        BLASThreads.set(1)
        let all = plan.runs
        let pending = all.filter { !isComplete($0) }
        let skipped = all.count - pending.count
        if skipped > 0 { console("resuming: \(skipped) of \(all.count) runs already complete") }
        console("experiment: \(pending.count) runs to do (\(plan.conditions.count) conditions × \(plan.seeds) seeds), \(jobs) at a time, \(modeName)")
        let started = Date()
        let queue = WorkQueue(pending)
        let group = DispatchGroup()
        for _ in 0..<min(jobs, max(pending.count, 1)) {
            group.enter()
            Thread.detachNewThread { [self] in
                while let next = queue.next() { execute(next, total: pending.count, started: started) }
                group.leave()
            }
        }
        group.wait()
        let seconds = Date().timeIntervalSince(started)
        let ran = pending.count - failures.count
        let outcome = Outcome(ran: ran, skipped: skipped, failed: failures.map { "\($0.0.path): \($0.1)" }, seconds: seconds,
                              runsPerMinute: seconds > 0 ? Double(ran) / seconds * 60 : 0)
        console(String(format: "experiment done: %d runs in %.1f s (%.2f runs/min), %d skipped, %d failed",
                       ran, seconds, outcome.runsPerMinute, skipped, failures.count))
        return outcome
    }

    private var modeName: String {
        switch mode {
        case .inProcess: return "in process over inproc://"
        case .processes: return "as processes over tls+tcp://127.0.0.1"
        }
    }

    private func execute(_ run: ExperimentPlan.Run, total: Int, started: Date) {
        let runStart = Date()
        var line: String
        do {
            let summary = try runOnce(run)
            line = String(format: "%@  test acc %.4f  %.1f s", run.path, summary.finalTestAccuracy ?? .nan, Date().timeIntervalSince(runStart))
        } catch {
            lock.lock()
            failures.append((run, "\(error)"))
            lock.unlock()
            line = "\(run.path)  FAILED: \(error)"
        }
        lock.lock()
        finished += 1
        let done = finished
        lock.unlock()
        let elapsed = Date().timeIntervalSince(started)
        let eta = elapsed / Double(done) * Double(total - done)
        console(String(format: "[%d/%d] %@  elapsed %@  ETA %@", done, total, line, Self.clock(elapsed), Self.clock(eta)))
    }

    /// One federation, its directory emptied first so that nothing of an interrupted attempt survives.
    func runOnce(_ run: ExperimentPlan.Run) throws -> RunSummary {
        let runDirectory = directory + "/" + run.path
        let fm = FileManager.default
        try? fm.removeItem(atPath: runDirectory)
        do { try fm.createDirectory(atPath: runDirectory, withIntermediateDirectories: true) } catch {
            throw FederationError.cannotWrite(path: runDirectory)
        }
        let flags = plan.flags(for: run, directory: directory)
        let absent = try ExperimentPlan.absentClient(run.condition).map { try DataSplits.shardIndex(of: $0) }
        let attacker = try DataSplits.shardIndex(of: plan.attacker)
        switch mode {
        case .inProcess:
            var settingsFlags = flags
            settingsFlags[Setting.listen.name] = "inproc://experiment"
            let settings = try Settings(flags: settingsFlags, environment: [:])
            var config = try CoordinatorConfig(settings: settings)
            config.printsProgress = false
            let logger = try LogSink(path: runDirectory + "/coordinator.log").logger(label: "coordinator", level: logLevel)
            var strategies: [Int: any UpdateStrategy] = [:]
            if ExperimentPlan.isAttack(run.condition) { strategies[attacker] = try StrategyRegistry.make(run.condition) }
            return try InProcessCluster.run(config: config, logger: logger, strategies: strategies,
                                            absent: absent.map { [$0] } ?? [])
        case let .processes(executable):
            var coordinatorFlags = flags
            for name in [Setting.out.name, Setting.listen.name, Setting.clients.name] { coordinatorFlags[name] = nil }
            let clientFlags = flags.filter { [Setting.dataDir.name, Setting.logLevel.name].contains($0.key) }
            let logger = try LogSink(path: runDirectory + "/cluster.log").logger(label: "up", level: logLevel)
            let cluster = LocalCluster(options: .init(executable: executable, clients: plan.clients, outputDirectory: runDirectory,
                                                      coordinatorFlags: coordinatorFlags, clientFlags: clientFlags,
                                                      attacks: ExperimentPlan.isAttack(run.condition) ? [plan.attacker: run.condition] : [:],
                                                      absent: absent.map { [$0] } ?? [], relayProgress: false),
                                       logger: logger)
            let status = try cluster.run()
            guard status == 0 else { throw FederationError.processFailed(name: "coordinator", status: status) }
            return try RunJSON.decode(RunSummary.self, file: RunLayout(directory: runDirectory).summary)
        }
    }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}

/// The runs still to start, handed out one at a time to the worker threads.
private final class WorkQueue: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var items: [ExperimentPlan.Run]

    init(_ items: [ExperimentPlan.Run]) { self.items = items.reversed() }

    func next() -> ExperimentPlan.Run? {
        lock.lock()
        defer { lock.unlock() }
        return items.popLast()
    }
}
