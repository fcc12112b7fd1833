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
    /// Per validation class c, the round game on that class's validation images, weighted by the class's share of them,
    /// so the class games sum to `game`; nil unless an evaluator reads them (`Evaluator.readsClassGames`) and the
    /// coordinator can build them (a weighted-mean aggregation rule, at most 16 players).
    public var classGames: [any CoalitionGame]?
    /// Client i's change to the output layer's bias, one value per class (same order as `clients`): how much more of
    /// class c its local training pushed the model to predict. Nil when the model does not end in a dense layer to
    /// the classes.
    public var outputBiasUpdates: [[Float]]?

    public init(round: Int, clients: [String], sampleCounts: [Int], updates: [[Float]], aggregate: [Float], game: any CoalitionGame,
                classGames: [any CoalitionGame]? = nil, outputBiasUpdates: [[Float]]? = nil) {
        self.round = round
        self.clients = clients
        self.sampleCounts = sampleCounts
        self.updates = updates
        self.aggregate = aggregate
        self.game = game
        self.classGames = classGames
        self.outputBiasUpdates = outputBiasUpdates
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
