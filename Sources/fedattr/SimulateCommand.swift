import ArgumentParser
import Federation
import Foundation
import Logging

/// `fedattr simulate`: the whole federation in one process over inproc://, with the same coordinator and clients.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run coordinator and clients in one process over inproc:// (same code as the daemons).")

    @OptionGroup var shared: SharedOptions
    @OptionGroup var federation: FederationOptions
    @OptionGroup var attack: AttackOptions

    func run() throws {
        var flags = shared.flags.merging(federation.flags) { $1 }.merging(attack.flags) { $1 }
        flags[Setting.listen.name] = "inproc://simulate"
        let settings = try Settings(flags: flags, configFile: shared.config)
        try Self.simulate(settings: settings)
    }

    static func simulate(settings: Settings) throws {
        let logger = try Daemon.logger(label: "simulate", settings: settings)
        var config = try CoordinatorConfig(settings: settings)
        config.listen = "inproc://simulate"
        let plan = try AttackPlan.from(settings: settings, clients: config.spec.clients)
        let summary = try InProcessCluster.run(config: config, logger: logger, plan: plan)
        print("simulation finished: \(summary.rounds) rounds, final test accuracy \(summary.finalTestAccuracy.map { String(format: "%.4f", $0) } ?? "-"); results in \(config.outputDirectory)/")
    }
}
