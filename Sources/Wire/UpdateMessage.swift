/// Client → coordinator: the signed result of one round of local training.
public struct UpdateMessage: Sendable, Equatable {
    /// Travels in the envelope header; the task's round.
    public var round: UInt64
    /// The task's 32-byte nonce, echoed.
    public var nonce: [UInt8]
    /// 1...128 bytes of UTF-8; must equal the registered identity.
    public var clientID: String
    /// The client's X.509 certificate, DER.
    public var certificateDER: [UInt8]
    /// Number of local training samples (the aggregation weight).
    public var sampleCount: UInt32
    /// Mean local training loss (informational, not signed).
    public var trainLoss: Float
    /// SHA-256 of `WireCodec.tensorBytes(task.parameters)` as the client decoded them.
    public var baseModelDigest: [UInt8]
    /// Trained parameters minus the task's parameters, flat.
    public var update: [Float]
    /// ECDSA P-256 / SHA-256 signature (DER) over `signingBytes(updateDigest:)`.
    public var signature: [UInt8]

    public init(round: UInt64, nonce: [UInt8], clientID: String, certificateDER: [UInt8], sampleCount: UInt32,
                trainLoss: Float, baseModelDigest: [UInt8], update: [Float], signature: [UInt8] = []) {
        self.round = round
        self.nonce = nonce
        self.clientID = clientID
        self.certificateDER = certificateDER
        self.sampleCount = sampleCount
        self.trainLoss = trainLoss
        self.baseModelDigest = baseModelDigest
        self.update = update
        self.signature = signature
    }

    /// Domain-separation prefix of the update signing input: `"fedattr/update/v1"` followed by one zero byte.
    public static let signingPrefix: [UInt8] = Array("fedattr/update/v1".utf8) + [0]

    /// The exact bytes an update signature covers: prefix ‖ nonce (32) ‖ round u64 LE ‖ u32 LE byte length of clientID ‖
    /// clientID UTF-8 ‖ sampleCount u32 LE ‖ baseModelDigest (32) ‖ updateDigest (32).
    /// `updateDigest` is SHA-256 of `WireCodec.tensorBytes(update)` of the values as the receiver decodes them.
    public static func signingBytes(nonce: [UInt8], round: UInt64, clientID: String, sampleCount: UInt32,
                                    baseModelDigest: [UInt8], updateDigest: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: signingPrefix.count + 32 + 8 + 4 + clientID.utf8.count + 4 + 64)
        writer.raw(signingPrefix)
        writer.raw(nonce)
        writer.u64(round)
        writer.string(clientID)
        writer.u32(sampleCount)
        writer.raw(baseModelDigest)
        writer.raw(updateDigest)
        return writer.bytes
    }

    /// `signingBytes(nonce:round:clientID:sampleCount:baseModelDigest:updateDigest:)` of this message.
    public func signingBytes(updateDigest: [UInt8]) -> [UInt8] {
        Self.signingBytes(nonce: nonce, round: round, clientID: clientID, sampleCount: sampleCount,
                          baseModelDigest: baseModelDigest, updateDigest: updateDigest)
    }
}
