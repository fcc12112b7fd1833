/// Files, peer name and engine for one side of a mutual-TLS connection (nng's tls+tcp:// transport).
///
/// `certKeyFile` is one PEM file holding our certificate followed by its private key (what nng loads);
/// `caFile` holds the CA certificate(s) the peer must chain to. `serverName` is only used when dialing:
/// the name the server certificate must carry (default: `TransportURL.defaultServerName`). `engine` is the TLS
/// library; the whole process uses one, so every endpoint of a process must name the same.
public struct TLSSettings: Sendable, Equatable {
    public var caFile: String
    public var certKeyFile: String
    public var serverName: String?
    public var engine: TLSEngine

    public init(caFile: String, certKeyFile: String, serverName: String? = nil, engine: TLSEngine = .processDefault) {
        self.caFile = caFile
        self.certKeyFile = certKeyFile
        self.serverName = serverName
        self.engine = engine
    }
}
