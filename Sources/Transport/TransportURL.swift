/// The parts of an nng URL the Swift layer needs: whether it is TLS, and the host to name-check.
struct TransportURL: Sendable, Equatable {
    let text: String
    let scheme: String
    let host: String?

    init(_ text: String) throws(TransportError) {
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
    var usesTLS: Bool { scheme.hasPrefix("tls+") || scheme == "wss" || scheme.hasPrefix("wss") }

    /// The name a client should expect in the server certificate when none is configured.
    var defaultServerName: String? {
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
