/// Coordinator → clients: the federation has run its last round (or is shutting down); no answer is expected.
public struct FinishMessage: Sendable, Equatable {
    /// Travels in the envelope header: the last round that completed.
    public var round: UInt64
    /// 32 fresh random bytes (kept so every message body starts the same way).
    public var nonce: [UInt8]
    /// Why the federation ends, for the clients' logs (UTF-8).
    public var reason: String

    public init(round: UInt64, nonce: [UInt8], reason: String) {
        self.round = round
        self.nonce = nonce
        self.reason = reason
    }
}
