/// Exact Shapley values of the round game from all 2^N coalition values (O(N·2^N) arithmetic, 2^N − 1 utility evaluations).
public final class ExactShapleyEvaluator: Evaluator {
    /// Hard ceiling for `maxPlayers`.
    public static let playerLimit = 16

    public let name = "shapley-exact"
    public let maxPlayers: Int
    public var playerLimit: Int? { maxPlayers }

    /// `maxPlayers` may lower the refusal threshold (1...16).
    public init(maxPlayers: Int = ExactShapleyEvaluator.playerLimit) {
        self.maxPlayers = min(maxPlayers, Self.playerLimit)
    }

    public func evaluate(_ input: RoundInput) throws -> [Double] {
        let n = input.game.playerCount
        let table = try input.coalitionValues(for: name, limit: maxPlayers)
        return CoalitionTable.shapley(table, playerCount: n)
    }
}
