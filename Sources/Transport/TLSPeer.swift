import CNNG
import CNNGOpenSSL

/// The verified certificate on the other end of a tls+tcp:// connection, as the OpenSSL engine saw it in the handshake.
public struct TLSPeer: Sendable, Equatable {
    /// Subject common name of the peer's leaf certificate.
    public var commonName: String
    /// SHA-256 of the leaf certificate's DER, lower-case hex (the same form as PKI's `Certificate.fingerprint`).
    public var fingerprint: String
}

extension Socket {
    /// The verified client certificate of a listener-side TLS connection; nil for other transports, for nng's
    /// mbedTLS engine (which exposes no peer certificate) and for a connection that has already gone.
    public func pipeTLSPeer(_ pipe: PipeID) -> TLSPeer? {
        var remote = nng_sockaddr()
        var local = nng_sockaddr()
        let p = nng_pipe(id: pipe)
        guard nng_pipe_get_addr(p, NNG_OPT_REMADDR, &remote) == 0, nng_pipe_get_addr(p, NNG_OPT_LOCADDR, &local) == 0 else {
            return nil
        }
        var name = [CChar](repeating: 0, count: 256)
        var fingerprint = [CChar](repeating: 0, count: 65)
        guard fedattr_tls_peer_identity(&remote, &local, &name, name.count, &fingerprint, fingerprint.count) else { return nil }
        func text(_ c: [CChar]) -> String { String(decoding: c.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return TLSPeer(commonName: text(name), fingerprint: text(fingerprint))
    }
}
