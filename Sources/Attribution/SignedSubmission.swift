/// The fields of a ledger entry a signature check needs: the certificate, the signature and what was signed
/// (Wire's UpdateMessage.signingBytes(nonce:round:clientID:sampleCount:baseModelDigest:updateDigest:)).
public struct SignedSubmission: Sendable, Equatable {
    public var round: UInt64
    public var clientID: String
    public var nonce: [UInt8]
    public var sampleCount: UInt32
    /// SHA-256 of the global model the client trained from (the record's model_digest).
    public var baseModelDigest: [UInt8]
    public var updateDigest: [UInt8]
    public var certificateDER: [UInt8]
    public var signature: [UInt8]

    public init(round: UInt64, clientID: String, nonce: [UInt8], sampleCount: UInt32, baseModelDigest: [UInt8],
                updateDigest: [UInt8], certificateDER: [UInt8], signature: [UInt8]) {
        self.round = round
        self.clientID = clientID
        self.nonce = nonce
        self.sampleCount = sampleCount
        self.baseModelDigest = baseModelDigest
        self.updateDigest = updateDigest
        self.certificateDER = certificateDER
        self.signature = signature
    }
}
