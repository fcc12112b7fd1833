/// An attribution-robust candidate: Shapley's marginal contributions, but only into large coalitions (sizes
/// ⌈minFraction·(N−1)⌉ … N−1 of the others, each size weighted equally). A client that earns credit by filling what
/// small coalitions lack (the attribution-first attack's lever: classes few others cover) gains little where most
/// others are already present; honest contributions that still matter in large coalitions keep their order.
/// minFraction 0 is exact Shapley, 1 is leave-one-out. docs/ATTRIBUTION.md has the design and its measured effect.
public final class LargeCoalitionShapleyEvaluator: Evaluator {
    public let name = "large-coalition-shapley"
    public let minFraction: Double
    public let maxPlayers: Int
    public var playerLimit: Int? { maxPlayers }

    public init(minFraction: Double = 0.5, maxPlayers: Int = ExactShapleyEvaluator.playerLimit) {
        self.minFraction = min(max(minFraction, 0), 1)
        self.maxPlayers = min(maxPlayers, ExactShapleyEvaluator.playerLimit)
    }

    /// The smallest coalition of others counted for N players.
    public func minSize(players n: Int) -> Int { Self.minSize(fraction: minFraction, players: n) }

    /// ⌈fraction·(N−1)⌉: the smallest coalition of others a window starting at `fraction` counts.
    static func minSize(fraction: Double, players n: Int) -> Int { Int((fraction * Double(max(n - 1, 0))).rounded(.up)) }

    public func evaluate(_ input: RoundInput) throws -> [Double] {
        let n = input.game.playerCount
        let table = try input.coalitionValues(for: name, limit: maxPlayers)
        return CoalitionTable.largeCoalitionShapley(table, playerCount: n, minSize: minSize(players: n))
    }
}
