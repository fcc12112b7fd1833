/// Combines the clients' updates of one round into the global update; robust rules plug in here.
public protocol AggregationRule: Sendable {
    /// The name used in configs and logs.
    var name: String { get }

    /// The aggregate of `updates` (one flat vector per client), weighted by the clients' sample counts.
    func aggregate(_ updates: [[Float]], sampleCounts: [Int]) -> [Float]

    /// Coefficients c with aggregate(members) = Σ c_i · updates[i] (zero for non-members), when the rule is linear
    /// in the updates; nil otherwise. Attribution uses this to evaluate thousands of coalitions cheaply.
    func linearCoefficients(members: UInt64, sampleCounts: [Int]) -> [Float]?

    /// Weights w with aggregate(S) = Σ_{i∈S} w_i·updates[i] / Σ_{i∈S} w_i (zero when that sum is 0) for every subset S,
    /// when the rule is such a weighted mean; nil otherwise (the default). Lets attribution sweep all subsets incrementally.
    func weightedMeanWeights(sampleCounts: [Int]) -> [Float]?
}

extension AggregationRule {
    public func weightedMeanWeights(sampleCounts: [Int]) -> [Float]? { nil }
}

extension AggregationRule {
    /// The aggregate of the subset `members` (bit i = client i); an empty subset aggregates to zero.
    public func aggregate(members: UInt64, updates: [[Float]], sampleCounts: [Int]) -> [Float] {
        let chosen = updates.indices.filter { members & (1 << UInt64($0)) != 0 }
        guard let first = chosen.first else { return [Float](repeating: 0, count: updates.first?.count ?? 0) }
        if let c = linearCoefficients(members: members, sampleCounts: sampleCounts) {
            var out = [Float](repeating: 0, count: updates[first].count)
            for i in chosen where c[i] != 0 { Vector.addScaled(&out, updates[i], c[i]) }
            return out
        }
        return aggregate(chosen.map { updates[$0] }, sampleCounts: chosen.map { sampleCounts[$0] })
    }
}
