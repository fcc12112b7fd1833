/// What a rule made of a round: the aggregate update and the decision behind it.
public struct AggregationResult: Sendable {
    /// The global update: the next model is base + aggregate.
    public var aggregate: [Float]
    public var decision: AggregationDecision

    public init(aggregate: [Float], decision: AggregationDecision) {
        self.aggregate = aggregate
        self.decision = decision
    }
}

/// Why the aggregate is what it is: the rule that ran, each client's weight, who was kept or dropped, and the
/// per-client scores the rule computed (Krum scores, trust scores, norms, clip factors).
public struct AggregationDecision: Sendable, Equatable {
    /// The configured rule, e.g. `clip(factor=2)+krum(f=1)`.
    public var rule: String
    /// The rule that produced the aggregate: `rule`, or the fallback when the rule could not apply.
    public var applied: String
    /// Why the fallback ran (nil when the configured rule applied).
    public var fallbackReason: String?
    /// The clients of the input, in order.
    public var clients: [String]
    /// Each client's weight in the aggregate when it is a combination of the updates (sums to 1 over kept
    /// clients); nil for coordinate-wise rules (median, trimmed mean), where no single weight exists.
    public var weights: [Double]?
    /// Clients whose updates entered the aggregate.
    public var kept: [String]
    /// Clients left out, with the reason (e.g. `flagged`, `krum`, `trust 0`).
    public var dropped: [Dropped]
    /// Named per-client scores in `clients` order, e.g. `krum_score`, `trust`, `norm`, `clip_factor`.
    public var scores: [String: [Double]]

    public struct Dropped: Sendable, Equatable, Codable {
        public var client: String
        public var reason: String
        public init(client: String, reason: String) {
            self.client = client
            self.reason = reason
        }
    }

    public init(rule: String, clients: [String], weights: [Double]?, kept: [String]? = nil, dropped: [Dropped] = [],
                scores: [String: [Double]] = [:]) {
        self.rule = rule
        applied = rule
        fallbackReason = nil
        self.clients = clients
        self.weights = weights
        self.kept = kept ?? clients.filter { c in !dropped.contains { $0.client == c } }
        self.dropped = dropped
        self.scores = scores
    }
}
