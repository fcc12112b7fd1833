/// Individual value Δ_t(g_i) = v({i}): the utility gain of applying client i's update alone.
public final class MarginalEvaluator: Evaluator {
    public let name = "marginal"

    public init() {}

    public func evaluate(_ input: RoundInput) throws -> [Double] {
        try input.validate(for: name)
        return (0..<input.game.playerCount).map { input.game.value(of: Coalition([$0])) }
    }
}
