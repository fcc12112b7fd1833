/// Coordinate-wise median (Yin et al., 2018): each parameter of the aggregate is the median of the clients'
/// values (the mean of the two middle ones for an even count). Unweighted; breaks down at half the clients.
public struct CoordinateMedian: AggregationRule {
    public let name = "median"

    public init() {}

    public func combine(_ input: AggregationInput) -> AggregationResult {
        AggregationResult(aggregate: input.statistics?.median ?? Vector.coordinateMedian(input.updates, count: input.dimension),
                          decision: AggregationDecision(rule: name, clients: input.clients, weights: nil))
    }
}
