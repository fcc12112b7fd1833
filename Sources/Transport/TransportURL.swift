/// The parts of an nng URL the federation needs: whether it is supported, whether it is TLS, and the host a
/// client name-checks. The one place these rules live (sockets, client and coordinator configs use it).
public struct TransportURL: Sendable, Equatable {
    public let text: String
    public let scheme: String
    /// The host of a tcp-family URL ("" when the URL has none), nil for inproc:// and ipc://.
    public let host: String?

    /// The schemes the federation uses; nng knows more (ws://, ...), which sockets still pass through.
    public static let supportedSchemes: Set<String> = ["tls+tcp", "tls+tcp4", "tls+tcp6", "tcp", "tcp4", "tcp6", "ipc", "inproc"]

    public init(_ text: String) throws(TransportError) {
        guard let range = text.range(of: "://") else { throw .invalidURL(text) }
        let scheme = String(text[..<range.lowerBound]).lowercased()
        guard !scheme.isEmpty else { throw .invalidURL(text) }
        self.text = text
        self.scheme = scheme
        let rest = text[range.upperBound...]
        if scheme.hasSuffix("tcp") || scheme.hasSuffix("tcp4") || scheme.hasSuffix("tcp6") || scheme.hasPrefix("ws") {
            let authority = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            self.host = TransportURL.host(ofAuthority: authority)
        } else {
            self.host = nil
        }
    }

    /// tls+tcp://, tls+tcp4://, tls+tcp6://, wss://
    public var usesTLS: Bool { scheme.hasPrefix("tls+") || scheme.hasPrefix("wss") }

    /// One of `supportedSchemes`.
    public var isSupported: Bool { Self.supportedSchemes.contains(scheme) }

    /// The name a client expects in the server certificate when none is configured: the URL's host, with the
    /// loopback addresses read as "localhost" (certificates carry DNS names; mbedTLS never matches IP SANs);
    /// nil when the URL names no host (empty or "*").
    public var defaultServerName: String? {
        guard let host, !host.isEmpty, host != "*" else { return nil }
        if host == "127.0.0.1" || host == "::1" { return "localhost" }
        return host
    }

    private static func host(ofAuthority authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        if let colon = authority.lastIndex(of: ":") {
            return String(authority[..<colon])
        }
        return authority
    }
}
