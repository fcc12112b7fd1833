import ArgumentParser
import Federation
import Foundation
import Logging

/// `fedattr up`: the main job — a local TLS cluster of real processes, printing attribution every round.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start a local cluster: throwaway PKI, a coordinator and N clients as processes over tls+tcp://127.0.0.1.",
        discussion: "Results land in --out: coordinator.log, logs/client-N.log, rounds.jsonl, attribution.jsonl, ledger.jsonl, summary.json.")

    @OptionGroup var shared: SharedOptions
    @OptionGroup var federation: FederationOptions
    @OptionGroup var attack: AttackOptions
    @Flag(help: "Run coordinator and clients in this process over inproc:// instead (same code, no TLS).") var inproc = false
    @Option(help: "Fixed TCP port on 127.0.0.1 (default: a free one).") var port: Int?

    func run() async throws {
        let flags = shared.flags.merging(federation.flags) { $1 }.merging(attack.flags) { $1 }
        let settings = try Settings(flags: flags, configFile: shared.config)
        let out = try settings.directory(.out)
        let clients = try settings.int(.clients, range: 1...10_000)
        let plan = try AttackPlan.from(settings: settings, clients: clients)
        if inproc {
            try SimulateCommand.simulate(settings: settings)
            return
        }
        if let port, !(1...65_535).contains(port) { throw ValidationError("--port must be in 1...65535 (leave it out for a free port)") }
        // The coordinator's settings are checked here, so that a bad value is refused before any process starts.
        let placeholders = ["listen": "tls+tcp://127.0.0.1:\(port ?? 1)", "pki-dir": RunLayout(directory: out).pki.directory]
        _ = try CoordinatorConfig(settings: Settings(flags: flags.merging(placeholders) { $1 }, configFile: shared.config))
        let logger = try Daemon.logger(label: "up", settings: settings)
        // Every cluster setting the coordinator reads goes to it as a flag (up chooses listen, PKI and log files itself);
        // clients need where the data is and the TLS engine.
        var coordinatorFlags: [String: String] = [:]
        for setting in Setting.catalog where setting.roles.isSuperset(of: [.coordinator, .cluster]) && setting != .logFile {
            if let v = settings.string(setting), settings.source(setting) != .defaultValue { coordinatorFlags[setting.name] = v }
        }
        var clientFlags: [String: String] = [:]
        for setting in [Setting.dataDir, .logLevel, .tlsEngine] {
            if let v = settings.string(setting), settings.source(setting) != .defaultValue { clientFlags[setting.name] = v }
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let cluster = LocalCluster(options: .init(executable: executable, clients: clients, outputDirectory: out,
                                                  coordinatorFlags: coordinatorFlags, clientFlags: clientFlags, port: port,
                                                  attacks: plan.map { [$0.attacker: "\($0.attack)"] } ?? [:]),
                                   logger: logger)
        let outcome = Outcome()
        try await Daemon.run(name: "up", logger: logger, body: { outcome.status = try cluster.run() },
                             stop: { outcome.interrupted = true; cluster.stopAll() })
        if outcome.interrupted {
            print("interrupted: every process this run started has been stopped; partial results in \(out)/")
            throw ExitCode(130)
        }
        if outcome.status != 0 { throw ExitCode(outcome.status) }
        let report = try RunReport(directory: out)
        _ = try report.write(to: RunLayout(directory: out).report)
        print(report.standings())
        print("results in \(out)/ (rounds.jsonl, attribution.jsonl, ledger.jsonl, summary.json; CSV and SVG plots in report/); audit with: fedattr verify \(out)")
    }
}

/// What the cluster run ended with, set from the service's thread and read after the group has finished.
private final class Outcome: @unchecked Sendable {  // written before the service group returns, read after
    var status: Int32 = 0
    var interrupted = false
}
