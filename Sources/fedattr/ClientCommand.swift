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
    @OptionGroup var pki: PKIOptions
    @OptionGroup var options: ClientOptions
    @OptionGroup var attack: AttackOption

    func run() async throws {
        let flags = [shared.flags, pki.flags, options.flags, attack.flags].reduce(into: [:]) { $0.merge($1) { $1 } }
        let settings = try Settings(flags: flags, configFile: shared.config)
        let config = try ClientConfig(settings: settings)
        var logger = try Daemon.logger(label: "client", settings: settings)
        logger[metadataKey: "client"] = "\(config.id)"
        BLASThreads.set(config.blasThreads)
        let client = try Client(config: config, logger: logger, strategy: try StrategyRegistry.make(config.strategy))
        try await Daemon.run(name: config.id, logger: logger, body: { try client.run() }, stop: { client.stop() })
    }
}
