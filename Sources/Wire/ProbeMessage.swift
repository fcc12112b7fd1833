/// Coordinator → clients: asks every connected client to prove its identity by signing `nonce`.
public struct ProbeMessage: Sendable, Equatable {
    /// Travels in the envelope header; the round the federation is about to run (0 before the first).
    public var round: UInt64
    /// 32 fresh random bytes.
    public var nonce: [UInt8]
    /// UTF-8 JSON federation spec (opaque to the codec).
    public var spec: String

    public init(round: UInt64, nonce: [UInt8], spec: String) {
        self.round = round
        self.nonce = nonce
        self.spec = spec
    }
}
