import ArgumentParser
import Federation
import Foundation
import Learning
import Logging

/// `fedattr coordinator`: the coordinator daemon.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator daemon: register clients, run the rounds, score every participant.")

    @OptionGroup var shared: SharedOptions
    @OptionGroup var federation: FederationOptions
    @OptionGroup var pki: PKIOptions
    @OptionGroup var options: CoordinatorOptions

    func run() async throws {
        let arenas = MallocArenas.limit()  // before the daemon's threads start allocating
        let flags = [shared.flags, federation.flags, pki.flags, options.flags].reduce(into: [:]) { $0.merge($1) { $1 } }
        let settings = try Settings(flags: flags, configFile: shared.config)
        let logger = try Daemon.logger(label: "coordinator", settings: settings)
        logger.debug("malloc arenas capped", metadata: ["malloc_arena_max": "\(arenas)"])
        let config = try CoordinatorConfig(settings: settings)
        BLASThreads.set(config.blasThreads)
        let coordinator = try Coordinator(config: config, logger: logger)
        try await Daemon.run(name: "coordinator", logger: logger, body: { try coordinator.run() }, stop: { coordinator.stop() })
    }
}
