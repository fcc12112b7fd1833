/// What a certificate is for in the federation: a client (TLS clientAuth) or the coordinator (TLS serverAuth).
public enum CertificatePurpose: String, Sendable, Hashable, CaseIterable {
    /// A client daemon: extended key usage clientAuth.
    case client
    /// The coordinator: extended key usage serverAuth.
    case server
}
