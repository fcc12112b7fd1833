import Adversary
import Foundation
import Options
import PKI
import Transport

/// Everything a client daemon needs, resolved and checked.
public struct ClientConfig: Sendable {
    public var id: String
    public var coordinator: String
    public var tls: TLSSettings?
    public var certificateFile: String
    public var keyFile: String
    public var dataDirectory: String
    public var blasThreads: Int
    /// The update strategy: the `attack` setting when one is given, else the `strategy` setting.
    public var strategy: NamedOptions

    public init(settings s: Settings) throws {
        id = try s.required(.id)
        _ = try DataSplits.shardIndex(of: id)
        coordinator = try s.required(.coordinator)
        let pki = PKILayout(directory: try s.required(.pkiDir))
        certificateFile = pki.certificate(id)
        keyFile = pki.key(id)
        let url = try s.transportURL(.coordinator)
        if url.usesTLS {
            guard let serverName = s.string(.serverName) ?? url.defaultServerName else {
                throw s.invalid(.coordinator, coordinator, "a URL with a host, or a --server-name")
            }
            tls = TLSSettings(caFile: pki.caCertificate, certKeyFile: pki.bundle(id), serverName: serverName,
                              engine: try s.tlsEngine())
        } else {
            tls = nil
        }
        dataDirectory = try s.required(.dataDir)
        blasThreads = try s.int(.blasThreads, range: 1...256)
        strategy = try Self.strategy(settings: s)
    }

    public init(id: String, coordinator: String, tls: TLSSettings?, certificateFile: String, keyFile: String,
                dataDirectory: String, blasThreads: Int = 1, strategy: NamedOptions = NamedOptions(name: "honest")) {
        self.id = id
        self.coordinator = coordinator
        self.tls = tls
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.dataDirectory = dataDirectory
        self.blasThreads = blasThreads
        self.strategy = strategy
    }

    /// Reads `attack` (an attack from the registry, or `none`) over `strategy` (honest or unchanged) and builds the
    /// strategy once, so that unknown names and options are refused at start-up with the valid ones.
    static func strategy(settings s: Settings) throws -> NamedOptions {
        let base = try s.required(.strategy)
        guard StrategyRegistry.baselines.contains(base) else {
            throw s.invalid(.strategy, base, StrategyRegistry.baselines.joined(separator: " or ") + " (attacks go in --attack)")
        }
        guard let attack = s.string(.attack), attack != "none" else { return NamedOptions(name: base) }
        let expected = "none or one of \(StrategyRegistry.attackNames.joined(separator: ", ")), as name or name(key=value;…)"
        let options: NamedOptions
        do { options = try NamedOptions(parsing: attack) } catch { throw s.invalid(.attack, attack, "\(expected) (\(error))") }
        guard StrategyRegistry.attackNames.contains(options.name) else { throw s.invalid(.attack, attack, expected) }
        do { _ = try StrategyRegistry.make(options) } catch { throw s.invalid(.attack, attack, "valid options (\(error))") }
        return options
    }
}
