/// Leave-one-out value v(N) − v(N \ {i}): what the round loses without client i.
public final class LeaveOneOutEvaluator: Evaluator {
    public let name = "loo"

    public init() {}

    public func evaluate(_ input: RoundInput) throws -> [Double] {
        try input.validate(for: name)
        let game = input.game
        let full = game.grandCoalition
        let total = game.value(of: full)
        return (0..<game.playerCount).map { total - game.value(of: full.removing($0)) }
    }
}
