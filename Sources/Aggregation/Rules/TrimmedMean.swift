/// Coordinate-wise trimmed mean (Yin et al., 2018): per parameter, drop the ⌊β·n⌋ smallest and largest values
/// and average the rest (unweighted). Tolerates up to ⌊β·n⌋ arbitrary clients; β ∈ [0, 0.5).
public struct TrimmedMean: AggregationRule {
    public let beta: Double
    public var name: String { "trimmed-mean(beta=\(AggregationRegistry.format(beta)))" }

    public init(beta: Double) {
        precondition(beta >= 0 && beta < 0.5, "beta must lie in [0, 0.5)")
        self.beta = beta
    }

    /// Values trimmed from each end of n.
    public func trim(_ n: Int) -> Int { Int((beta * Double(n)).rounded(.down)) }

    public func combine(_ input: AggregationInput) -> AggregationResult {
        AggregationResult(aggregate: Vector.trimmedMean(input.updates, count: input.dimension, trim: trim(input.count)),
                          decision: AggregationDecision(rule: name, clients: input.clients, weights: nil))
    }
}
