import Adversary
import ArgumentParser
import Federation
import Foundation
import Learning
import Logging

/// `fedattr client`: one client daemon.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Run a client daemon: train on this client's shard each round and send signed updates.")

    @OptionGroup var shared: SharedOptions
    @Option(help: ArgumentHelp(Setting.id.help)) var id: String?
    @Option(help: ArgumentHelp(Setting.coordinator.help)) var coordinator: String?
    @Option(name: .customLong("server-name"), help: ArgumentHelp(Setting.serverName.help)) var serverName: String?
    @Option(help: ArgumentHelp(Setting.strategy.help)) var strategy: String?
    @Option(help: ArgumentHelp(Setting.attack.help)) var attack: String?

    func run() async throws {
        var flags = shared.flags
        flags[Setting.id.name] = id
        flags[Setting.coordinator.name] = coordinator
        flags[Setting.serverName.name] = serverName
        flags[Setting.strategy.name] = strategy
        flags[Setting.attack.name] = attack
        let settings = try Settings(flags: flags, configFile: shared.config)
        let config = try ClientConfig(settings: settings)
        var logger = try Daemon.logger(label: "client", settings: settings)
        logger[metadataKey: "client"] = "\(config.id)"
        BLASThreads.set(config.blasThreads)
        let client = try Client(config: config, logger: logger, strategy: try StrategyRegistry.make(config.strategy))
        try await Daemon.run(name: config.id, logger: logger, body: { try client.run() }, stop: { client.stop() })
    }
}
