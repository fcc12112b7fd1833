/// Federated averaging (McMahan et al., 2017): the sample-count-weighted mean of the updates.
public struct FedAvg: AggregationRule {
    public let name = "fedavg"

    public init() {}

    public func aggregate(_ updates: [[Float]], sampleCounts: [Int]) -> [Float] {
        guard let first = updates.first else { return [] }
        let total = sampleCounts.reduce(0, +)
        var out = [Float](repeating: 0, count: first.count)
        for (update, n) in zip(updates, sampleCounts) where n > 0 {
            Vector.addScaled(&out, update, Float(Double(n) / Double(total)))
        }
        return out
    }

    public func linearCoefficients(members: UInt64, sampleCounts: [Int]) -> [Float]? {
        var total = 0
        for (i, n) in sampleCounts.enumerated() where members & (1 << UInt64(i)) != 0 { total += n }
        return sampleCounts.indices.map { i in
            members & (1 << UInt64(i)) != 0 && total > 0 ? Float(Double(sampleCounts[i]) / Double(total)) : 0
        }
    }

    /// The sample counts themselves (exact as floats up to 2^24).
    public func weightedMeanWeights(sampleCounts: [Int]) -> [Float]? {
        sampleCounts.map { Float($0) }
    }
}
