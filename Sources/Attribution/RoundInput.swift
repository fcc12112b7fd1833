/// Everything an evaluator sees of one round: the participants, their updates, the aggregate and the round's game.
public struct RoundInput: Sendable {
    public var round: Int
    public var clients: [String]
    public var sampleCounts: [Int]
    /// Client i's update g_i (same order as `clients`); may be empty for evaluators that only use the game.
    public var updates: [[Float]]
    /// The round's aggregate A(N).
    public var aggregate: [Float]
    /// v(S) = U(w_t + A(S)) − U(w_t); player i is clients[i].
    public var game: any CoalitionGame

    public init(round: Int, clients: [String], sampleCounts: [Int], updates: [[Float]], aggregate: [Float], game: any CoalitionGame) {
        self.round = round
        self.clients = clients
        self.sampleCounts = sampleCounts
        self.updates = updates
        self.aggregate = aggregate
        self.game = game
    }

    /// Checks that clients, sample counts, updates (if any) and the game agree on the number of players.
    func validate(for evaluator: String, requireUpdates: Bool = false) throws(AttributionError) {
        let n = game.playerCount
        if clients.count != n {
            throw .inputMismatch(evaluator: evaluator, field: "clients", expected: n, found: clients.count)
        }
        if sampleCounts.count != n {
            throw .inputMismatch(evaluator: evaluator, field: "sample counts", expected: n, found: sampleCounts.count)
        }
        if (requireUpdates || !updates.isEmpty) && updates.count != n {
            throw .inputMismatch(evaluator: evaluator, field: "updates", expected: n, found: updates.count)
        }
    }
}
