/// Federated averaging (McMahan et al., 2017): the sample-count-weighted mean of the updates.
public struct FedAvg: AggregationRule {
    public let name = "fedavg"

    public init() {}

    public func combine(_ input: AggregationInput) -> AggregationResult {
        let total = Double(input.sampleCounts.reduce(0, +))
        let weights = input.sampleCounts.map { total > 0 ? Double($0) / total : 0 }
        return AggregationResult(aggregate: Vector.weightedMean(input.updates, weights: weights, count: input.dimension),
                                 decision: AggregationDecision(rule: name, clients: input.clients, weights: weights))
    }

    /// The sample counts themselves (exact as floats up to 2^24) and the updates.
    public func weightedMean(_ input: AggregationInput) -> WeightedMean? {
        WeightedMean(weights: input.sampleCounts.map { Float($0) }, vectors: input.updates)
    }
}
