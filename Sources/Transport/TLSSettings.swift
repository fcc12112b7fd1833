/// Files and peer name for one side of a mutual-TLS connection (nng's tls+tcp:// transport over mbedTLS).
///
/// `certKeyFile` is one PEM file holding our certificate followed by its private key (what nng loads);
/// `caFile` holds the CA certificate(s) the peer must chain to. `serverName` is only used when dialing:
/// the name the server certificate must carry (default: the URL's host, with 127.0.0.1 mapped to
/// "localhost" because mbedTLS does not match IP subject alternative names).
public struct TLSSettings: Sendable, Equatable {
    public var caFile: String
    public var certKeyFile: String
    public var serverName: String?

    public init(caFile: String, certKeyFile: String, serverName: String? = nil) {
        self.caFile = caFile
        self.certKeyFile = certKeyFile
        self.serverName = serverName
    }
}
