/// A certificate together with its private key, as issued for one federation member.
public struct Credential: Sendable {
    /// The issued certificate.
    public let certificate: Certificate
    /// The certificate's private key.
    public let key: PrivateKey

    public init(certificate: Certificate, key: PrivateKey) {
        self.certificate = certificate
        self.key = key
    }

    /// Certificate PEM followed by key PEM: the single-file form nng_tls_config_cert_key_file reads.
    public var bundlePEM: String { certificate.pem + key.pem }
}
