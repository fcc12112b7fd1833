/// Coordinator → clients: the global model for one round and how to train on it.
public struct TaskMessage: Sendable, Equatable {
    /// Travels in the envelope header.
    public var round: UInt64
    /// 32 fresh random bytes; the update for this round must echo them.
    public var nonce: [UInt8]
    /// How long (from receipt) the client has to answer before the coordinator stops listening.
    public var deadlineMillis: UInt32
    public var hyperparameters: Hyperparameters
    /// UTF-8 JSON federation spec (opaque to the codec).
    public var spec: String
    /// The round of the ledger's last record when this task was sent (0 before the first).
    public var ledgerRound: UInt64
    /// SHA-256 of that record (32 zero bytes before the first): the ledger head each client logs.
    public var ledgerHead: [UInt8]
    /// The coordinator's signature over `LedgerSeal.signingBytes(round: ledgerRound, head: ledgerHead)` (DER ECDSA).
    public var ledgerSeal: [UInt8]
    /// The global model's flat parameter vector.
    public var parameters: [Float]

    public init(round: UInt64, nonce: [UInt8], deadlineMillis: UInt32, hyperparameters: Hyperparameters,
                spec: String, ledgerRound: UInt64 = 0, ledgerHead: [UInt8] = LedgerSeal.genesisHead, ledgerSeal: [UInt8] = [],
                parameters: [Float]) {
        self.round = round
        self.nonce = nonce
        self.deadlineMillis = deadlineMillis
        self.hyperparameters = hyperparameters
        self.spec = spec
        self.ledgerRound = ledgerRound
        self.ledgerHead = ledgerHead
        self.ledgerSeal = ledgerSeal
        self.parameters = parameters
    }
}
