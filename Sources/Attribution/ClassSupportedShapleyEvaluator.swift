import Synchronization

/// An attribution-robust score: exact Shapley on each validation class's share of the round game, where a client is
/// paid for a class only if its own updates support that class — their output-layer bias changes for it, summed over
/// every round it has sent, are positive (its data holds more of that class than the model predicts). For other
/// classes its credit is capped at zero: it can be blamed for hurting them, never paid for helping them (`blame` false
/// drops them altogether, `blameFraction` reads the blame from large coalitions only). Aimed at the attribution-first
/// attack, which injects the classes its owner holds least; docs/ATTRIBUTION.md has the design and its measured
/// effect (it misses the goal it was built for).
public final class ClassSupportedShapleyEvaluator: StatefulEvaluator {
    public let name = "class-supported-shapley"
    public let maxPlayers: Int
    /// Whether a client keeps its negative credit on classes it does not support (else those classes do not count).
    public let blame: Bool
    /// Blame on unsupported classes counts only coalitions of at least ⌈blameFraction·(N−1)⌉ others (the
    /// `large-coalition-shapley` window); 0 counts them all, as Shapley does.
    public let blameFraction: Double
    public var playerLimit: Int? { maxPlayers }
    public var readsClassGames: Bool { true }
    /// Per client, its output-layer bias changes summed over the rounds evaluated so far.
    private let biasTotals = Mutex([String: [Double]]())

    public init(blame: Bool = true, blameFraction: Double = 0, maxPlayers: Int = ExactShapleyEvaluator.playerLimit) {
        self.blame = blame
        self.blameFraction = min(max(blameFraction, 0), 1)
        self.maxPlayers = min(maxPlayers, ExactShapleyEvaluator.playerLimit)
    }

    /// Σ_c φ_ic over the classes client i supports, plus Σ_c min(β_ic, 0) over the others when `blame`;
    /// `shapley[c][i]` is client i's Shapley value in class c's game, `blameValues[c][i]` the value its blame is read
    /// from (Shapley's own unless a window is set), `supported[i][c]` whether client i supports class c.
    public static func score(shapley: [[Double]], blameValues: [[Double]]? = nil, supported: [[Bool]], blame: Bool) -> [Double] {
        let blamed = blameValues ?? shapley
        return supported.indices.map { i in
            shapley.indices.reduce(0) { total, c in
                total + (supported[i][c] ? shapley[c][i] : blame ? min(blamed[c][i], 0) : 0)
            }
        }
    }

    /// Per client, which classes its summed output-layer bias changes support so far.
    public var support: [String: [Bool]] { biasTotals.withLock { $0.mapValues { $0.map { $0 > 0 } } } }

    public func checkpointState() throws -> String { try encodeState(biasTotals.withLock { $0 }) }

    public func restore(checkpointState text: String) throws {
        let restored = try decodeState(text, as: [String: [Double]].self) { Array($0.values.joined()) }
        guard Set(restored.values.map(\.count)).count <= 1 else {
            throw AttributionError.invalidState(evaluator: name, reason: "the clients' bias totals have different lengths")
        }
        biasTotals.withLock { $0 = restored }
    }

    public func evaluate(_ input: RoundInput) throws -> [Double] {
        try input.validate(for: name)
        let n = input.game.playerCount
        guard n <= maxPlayers else { throw AttributionError.tooManyPlayers(evaluator: name, count: n, limit: maxPlayers) }
        guard let games = input.classGames, !games.isEmpty else {
            throw AttributionError.missingInput(evaluator: name, reason: "needs the round game per validation class, which the coordinator builds only under an aggregation rule with a weighted-mean form (fedavg and its kin) and at most \(ExactShapleyEvaluator.playerLimit) clients")
        }
        guard let bias = input.outputBiasUpdates else {
            throw AttributionError.missingInput(evaluator: name, reason: "needs the clients' output-layer bias changes; the model does not end in a dense layer to the classes")
        }
        guard bias.count == n else { throw AttributionError.inputMismatch(evaluator: name, field: "bias updates", expected: n, found: bias.count) }
        for (i, b) in bias.enumerated() where b.count != games.count || !b.allSatisfy(\.isFinite) {
            throw AttributionError.missingInput(evaluator: name, reason: "\(input.clients[i])'s bias update has \(b.count) values (\(games.count) classes expected) or a non-finite one")
        }
        for game in games where game.playerCount != n {
            throw AttributionError.inputMismatch(evaluator: name, field: "players in a class game", expected: n, found: game.playerCount)
        }
        let tables = try games.map { try CoalitionTable.values(of: $0, evaluator: name, limit: maxPlayers) }
        let shapley = tables.map { CoalitionTable.shapley($0, playerCount: n) }
        let minSize = LargeCoalitionShapleyEvaluator.minSize(fraction: blameFraction, players: n)
        let blameValues = minSize == 0 ? shapley : tables.map { CoalitionTable.largeCoalitionShapley($0, playerCount: n, minSize: minSize) }
        let supported = try biasTotals.withLock { totals in
            for (client, b) in zip(input.clients, bias) {
                let previous = totals[client] ?? [Double](repeating: 0, count: b.count)
                guard previous.count == b.count else {
                    throw AttributionError.inputMismatch(evaluator: name, field: "classes for \(client)", expected: previous.count, found: b.count)
                }
                totals[client] = zip(previous, b).map { $0 + Double($1) }
            }
            return input.clients.map { totals[$0]!.map { $0 > 0 } }
        }
        return Self.score(shapley: shapley, blameValues: blameValues, supported: supported, blame: blame)
    }
}
