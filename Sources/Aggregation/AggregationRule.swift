/// Combines one round's accepted updates into the global update and says what it decided. Every caller (the round
/// loop and every coalition of the attribution game) goes through `aggregate(_:)`, which drops flagged clients when
/// asked and falls back to `fallback` when the rule cannot apply.
public protocol AggregationRule: Sendable {
    /// The canonical name with options, as in configs, logs and the ledger: `trimmed-mean(beta=0.1)`.
    var name: String { get }
    /// The rule used where this one cannot apply (too few updates, no root update); nil: an empty aggregate.
    var fallback: (any AggregationRule)? { get }

    /// Per-round work shared by every coalition of the round (FLTrust trains its root update, clipping fixes its bound).
    func prepare(_ input: inout AggregationInput)
    /// Why the rule cannot apply to `input` (nil when it can); `aggregate` then uses the fallback.
    func unavailable(_ input: AggregationInput) -> String?
    /// The rule proper, on a non-empty input it can apply to, flagged clients already removed when asked.
    func combine(_ input: AggregationInput) -> AggregationResult
    /// When the rule is a weighted mean Σ w_i·v_i / Σ w_i of fixed per-client vectors v_i on every subset of `input`
    /// (after `prepare`): those weights and vectors, for attribution's fast path; nil otherwise.
    func weightedMean(_ input: AggregationInput) -> WeightedMean?
    /// Refuses options that cannot work with `clients` registered clients (e.g. Krum's f), when the config is read.
    func check(clients: Int) throws(AggregationError)
}

extension AggregationRule {
    public var fallback: (any AggregationRule)? { nil }
    public func prepare(_ input: inout AggregationInput) {}
    public func unavailable(_ input: AggregationInput) -> String? { nil }
    public func weightedMean(_ input: AggregationInput) -> WeightedMean? { nil }
    public func check(clients: Int) throws(AggregationError) {}

    /// The aggregate of `input` and the decision: flagged clients dropped first when `input.dropFlagged`, then the
    /// rule, or its fallback when it cannot apply; an input with no updates left aggregates to zero.
    public func aggregate(_ input: AggregationInput) -> AggregationResult {
        var dropped: [AggregationDecision.Dropped] = []
        var kept = Array(input.updates.indices)
        if input.dropFlagged {
            kept = kept.filter { !input.flagged[$0] }
            dropped = input.updates.indices.filter { input.flagged[$0] }.map { .init(client: input.clients[$0], reason: "flagged") }
        }
        let rest = kept.count == input.count ? input : input.selecting(kept)
        var result: AggregationResult
        if rest.count == 0 {
            result = AggregationResult(aggregate: [Float](repeating: 0, count: input.dimension),
                                       decision: AggregationDecision(rule: name, clients: [], weights: []))
            result.decision.applied = "none"
            result.decision.fallbackReason = input.count == 0 ? "no updates" : "every update was flagged and dropped"
        } else if let reason = unavailable(rest) {
            if let fallback {
                result = fallback.aggregate(rest)
            } else {
                result = AggregationResult(aggregate: [Float](repeating: 0, count: input.dimension),
                                           decision: AggregationDecision(rule: name, clients: rest.clients, weights: nil, kept: []))
                result.decision.applied = "none"
            }
            result.decision.rule = name
            result.decision.fallbackReason = reason + (result.decision.fallbackReason.map { "; then " + $0 } ?? "")
        } else {
            result = combine(rest)
        }
        return rest.count == input.count ? result : result.expanded(to: input.clients, dropped: dropped)
    }

    /// The weighted-mean form of the rule on `input` with flagged clients at weight zero when they are dropped;
    /// nil when the rule is not a weighted mean.
    public func weightedMeanPath(_ input: AggregationInput) -> WeightedMean? {
        guard var w = weightedMean(input) else { return nil }
        if input.dropFlagged {
            for i in input.flagged.indices where input.flagged[i] { w.weights[i] = 0 }
        }
        return w
    }
}

/// A rule's weighted-mean form: aggregate(S) = Σ_{i∈S} w_i·v_i / Σ_{i∈S} w_i (zero when that sum is 0).
public struct WeightedMean: Sendable {
    public var weights: [Float]
    /// The per-client vectors the mean combines: the updates themselves, or clipped / rescaled copies.
    public var vectors: [[Float]]

    public init(weights: [Float], vectors: [[Float]]) {
        self.weights = weights
        self.vectors = vectors
    }

    /// The coefficients c with aggregate(members) = Σ c_i·v_i (zero outside `members`).
    public func coefficients(members: UInt64) -> [Float] {
        coefficients { $0 < 64 && members & (1 << UInt64($0)) != 0 }
    }

    /// The coefficients for the coalition of the clients (by index) for which `isMember` holds.
    public func coefficients(where isMember: (Int) -> Bool) -> [Float] {
        var total = 0.0
        for (i, w) in weights.enumerated() where isMember(i) { total += Double(w) }
        return weights.indices.map { i in
            isMember(i) && total > 0 ? Float(Double(weights[i]) / total) : 0
        }
    }
}

extension AggregationResult {
    /// The decision re-expressed over `clients` (a superset of the decision's), with weights 0 and scores NaN for
    /// the clients the rule never saw, and `dropped` listed first.
    func expanded(to clients: [String], dropped: [AggregationDecision.Dropped]) -> AggregationResult {
        var out = self
        let index = Dictionary(uniqueKeysWithValues: decision.clients.enumerated().map { ($1, $0) })
        out.decision.clients = clients
        out.decision.weights = decision.weights.map { w in clients.map { index[$0].map { w[$0] } ?? 0 } }
        out.decision.scores = decision.scores.mapValues { s in clients.map { index[$0].map { s[$0] } ?? .nan } }
        out.decision.dropped = dropped + decision.dropped
        return out
    }
}
