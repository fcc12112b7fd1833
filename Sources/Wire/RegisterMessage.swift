/// Client → coordinator: answers a probe with the client's certificate and a signature over the probe's nonce.
public struct RegisterMessage: Sendable, Equatable {
    /// Travels in the envelope header; the round of the probe being answered.
    public var round: UInt64
    /// The probe's 32-byte nonce, echoed.
    public var nonce: [UInt8]
    /// The client's name, 1...128 bytes of UTF-8; must equal its certificate's common name.
    public var clientID: String
    /// The client's X.509 certificate, DER.
    public var certificateDER: [UInt8]
    /// ECDSA P-256 / SHA-256 signature (DER) over `signingBytes`.
    public var signature: [UInt8]

    public init(round: UInt64 = 0, nonce: [UInt8], clientID: String, certificateDER: [UInt8], signature: [UInt8] = []) {
        self.round = round
        self.nonce = nonce
        self.clientID = clientID
        self.certificateDER = certificateDER
        self.signature = signature
    }

    /// Domain-separation prefix of the register signing input: `"fedattr/register/v1"` followed by one zero byte.
    public static let signingPrefix: [UInt8] = Array("fedattr/register/v1".utf8) + [0]

    /// The exact bytes a register signature covers: prefix ‖ nonce (32) ‖ u32 LE byte length of clientID ‖ clientID UTF-8.
    public static func signingBytes(nonce: [UInt8], clientID: String) -> [UInt8] {
        var writer = ByteWriter(capacity: signingPrefix.count + nonce.count + 4 + clientID.utf8.count)
        writer.raw(signingPrefix)
        writer.raw(nonce)
        writer.string(clientID)
        return writer.bytes
    }

    /// `signingBytes(nonce:clientID:)` of this message.
    public var signingBytes: [UInt8] { Self.signingBytes(nonce: nonce, clientID: clientID) }
}
