/// Coordinator → clients: the federation has run its last round (or is shutting down); no answer is expected.
public struct FinishMessage: Sendable, Equatable {
    /// Travels in the envelope header: the last round that completed.
    public var round: UInt64
    /// 32 fresh random bytes (kept so every message body starts the same way).
    public var nonce: [UInt8]
    /// Why the federation ends, for the clients' logs (UTF-8).
    public var reason: String
    /// The ledger's final head, as in a task (`TaskMessage.ledgerRound` …): the last round's record is announced here.
    public var ledgerRound: UInt64
    public var ledgerHead: [UInt8]
    public var ledgerSeal: [UInt8]

    public init(round: UInt64, nonce: [UInt8], reason: String, ledgerRound: UInt64 = 0, ledgerHead: [UInt8] = LedgerSeal.genesisHead,
                ledgerSeal: [UInt8] = []) {
        self.round = round
        self.nonce = nonce
        self.reason = reason
        self.ledgerRound = ledgerRound
        self.ledgerHead = ledgerHead
        self.ledgerSeal = ledgerSeal
    }
}
