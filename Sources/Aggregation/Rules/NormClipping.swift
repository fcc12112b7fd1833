/// Norm clipping in front of any rule: each update u becomes u·min(1, B/‖u‖) before the inner rule sees it, with
/// B a fixed bound or a multiple of the round's median update norm (fixed once per round in `prepare`, so every
/// coalition of the attribution game is clipped at the same bound).
public struct NormClipping: AggregationRule {
    public enum Bound: Sendable, Equatable {
        /// B itself.
        case fixed(Double)
        /// B = factor × the median norm of the round's updates.
        case medianMultiple(Double)
    }

    public let bound: Bound
    public let inner: any AggregationRule

    public init(bound: Bound, inner: any AggregationRule) {
        self.bound = bound
        self.inner = inner
    }

    public var name: String {
        switch bound {
        case let .fixed(b): return "clip(bound=\(AggregationRegistry.format(b)))+" + inner.name
        case let .medianMultiple(k): return "clip(factor=\(AggregationRegistry.format(k)))+" + inner.name
        }
    }

    public func prepare(_ input: inout AggregationInput) {
        if case let .medianMultiple(k) = bound {
            let used = input.updates.indices.filter { !(input.dropFlagged && input.flagged[$0]) }
            input.clipBound = Vector.median(used.map { Vector.norm(input.updates[$0]) }).map { $0 * k }
        }
        inner.prepare(&input)
    }

    public func check(clients: Int) throws(AggregationError) { try inner.check(clients: clients) }

    /// The bound this input is clipped at.
    public func bound(for input: AggregationInput) -> Double {
        switch bound {
        case let .fixed(b): return b
        case let .medianMultiple(k): return input.clipBound ?? k * (Vector.median(input.updates.map(Vector.norm)) ?? 0)
        }
    }

    /// The input with every update clipped, and each update's norm and scale factor.
    func clipped(_ input: AggregationInput) -> (AggregationInput, norms: [Double], factors: [Double]) {
        let b = bound(for: input)
        let norms = input.updates.map(Vector.norm)
        let factors = norms.map { $0 > b ? b / $0 : 1 }
        var out = input
        out.updates = zip(input.updates, factors).map { u, s in s < 1 ? Vector.scaled(u, Float(s)) : u }
        return (out, norms, factors)
    }

    public func combine(_ input: AggregationInput) -> AggregationResult {
        let (clippedInput, norms, factors) = clipped(input)
        var result = inner.aggregate(clippedInput)
        result.decision.rule = name
        if result.decision.applied == inner.name { result.decision.applied = name }
        result.decision.scores["norm"] = norms
        result.decision.scores["clip_factor"] = factors
        return result
    }

    /// A weighted mean when the inner rule is one and the bound does not depend on the coalition.
    public func weightedMean(_ input: AggregationInput) -> WeightedMean? {
        if case .medianMultiple = bound, input.clipBound == nil { return nil }
        return inner.weightedMean(clipped(input).0)
    }
}
