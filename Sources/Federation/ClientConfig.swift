import Foundation
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
    public var strategy: String

    public init(settings s: Settings) throws {
        id = try s.required(.id)
        _ = try DataSplits.shardIndex(of: id)
        coordinator = try s.required(.coordinator)
        let pki = try s.required(.pkiDir)
        certificateFile = "\(pki)/\(id).crt"
        keyFile = "\(pki)/\(id).key"
        let url = try s.transportURL(.coordinator)
        if url.usesTLS {
            guard let serverName = s.string(.serverName) ?? url.defaultServerName else {
                throw s.invalid(.coordinator, coordinator, "a URL with a host, or a --server-name")
            }
            tls = TLSSettings(caFile: pki + "/ca.crt", certKeyFile: "\(pki)/\(id).pem", serverName: serverName,
                              engine: try s.tlsEngine())
        } else {
            tls = nil
        }
        dataDirectory = try s.required(.dataDir)
        blasThreads = try s.int(.blasThreads, range: 1...256)
        strategy = try s.required(.strategy)
        guard UpdateStrategies.names.contains(strategy) else {
            throw s.invalid(.strategy, strategy, UpdateStrategies.names.joined(separator: " or "))
        }
    }

    public init(id: String, coordinator: String, tls: TLSSettings?, certificateFile: String, keyFile: String,
                dataDirectory: String, blasThreads: Int = 1, strategy: String = "honest") {
        self.id = id
        self.coordinator = coordinator
        self.tls = tls
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.dataDirectory = dataDirectory
        self.blasThreads = blasThreads
        self.strategy = strategy
    }
}
