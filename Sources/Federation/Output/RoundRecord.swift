import Aggregation

/// One line of rounds.jsonl (keys: the property names in snake_case, RunJSON): who took part in a round, what was refused, how the global model did, and timings.
public struct RoundRecord: Sendable, Codable, Equatable {
    public var round: Int
    public var time: String
    public var participants: [String]
    public var sampleCounts: [Int]
    public var stragglers: [String]
    public var rejected: [RejectedMessage]
    public var utilityBefore: Double?
    public var utilityAfter: Double?
    public var validationAccuracy: Double
    public var validationLoss: Double
    public var testAccuracy: Double
    public var testLoss: Double
    public var durationsMs: Durations
    /// client → the detectors that flagged it this round (absent: none flagged).
    public var flagged: [String: [String]]?
    /// How the aggregate was made (absent when the round had no updates).
    public var aggregation: Aggregation?

    /// The aggregation decision of a round: configured and applied rule, fallback reason, clients left out, weights.
    public struct Aggregation: Sendable, Codable, Equatable {
        public var rule: String
        public var applied: String
        public var fallback: String?
        public var dropped: [AggregationDecision.Dropped]
        /// client → weight in the aggregate, for rules that weight whole updates.
        public var weights: [String: Double]?

        init(_ d: AggregationDecision) {
            rule = d.rule
            applied = d.applied
            fallback = d.fallbackReason
            dropped = d.dropped
            weights = d.weights.map { Dictionary(uniqueKeysWithValues: zip(d.clients, $0)) }
        }
    }

    /// A refused message: the pipe it came on, the verified client of that pipe if any, the client the message
    /// claimed to be from (unverified), and why.
    public struct RejectedMessage: Sendable, Codable, Equatable {
        public var pipe: UInt32
        public var client: String?
        public var claimedClient: String?
        public var code: String
        public var reason: String
        /// Hex SHA-256 of the message bytes as received (also chained in the ledger).
        public var messageSha256: String
    }

    /// Wall-clock milliseconds of each phase of a round.
    public struct Durations: Sendable, Codable, Equatable {
        public var broadcast: Double = 0
        public var collect: Double = 0
        public var detect: Double? = nil
        public var aggregate: Double = 0
        public var attribution: Double = 0
        public var evaluate: Double = 0
        public var total: Double = 0
    }

}
