import Learning

/// summary.json (keys: the property names in snake_case, RunJSON): the run's settings, final accuracy and every evaluator's cumulative score per client.
public struct RunSummary: Sendable, Codable {
    public var rounds: Int
    public var clients: Int
    public var model: String
    public var dataset: String
    public var partition: String
    public var aggregation: String
    public var detectors: [String]
    /// detector → client → fraction of the client's rounds in which the detector flagged it.
    public var flagRates: [String: [String: Double]]
    /// Rounds in which the aggregation rule could not apply and its fallback aggregated.
    public var fallbackRounds: [Int]
    public var evaluators: [String]
    public var finalValidationAccuracy: Double?
    public var finalTestAccuracy: Double?
    public var finalTestLoss: Double?
    public var participantsPerRound: [Int]
    public var rejectedMessages: Int
    public var medianRoundMs: Double?
    /// evaluator → client → cumulative value over all rounds.
    public var cumulativeAttribution: [String: [String: Double]]
    public var seconds: Double
    /// Wall time from the first round's broadcast to the last round's files (rounds overlap; their durations do not add up).
    public var roundsSeconds: Double?
    /// The three independent seeds of the run (absent in summaries written before they were separated).
    public var seeds: Seeds?

    /// The partition (and synthetic data), model-initialisation and mini-batch shuffling seeds.
    public struct Seeds: Sendable, Codable, Equatable {
        public var partition: UInt64
        public var model: UInt64
        public var shuffle: UInt64

        public init(partition: UInt64, model: UInt64, shuffle: UInt64) {
            self.partition = partition
            self.model = model
            self.shuffle = shuffle
        }
    }

    public init(config: CoordinatorConfig, records: [RoundRecord], attribution: [String: [String: Double]], seconds: Double,
                roundsSeconds: Double? = nil) {
        rounds = records.count
        clients = config.spec.clients
        model = config.spec.model
        dataset = config.spec.dataset
        partition = config.spec.partition
        aggregation = config.aggregation
        detectors = config.detectors
        flagRates = FlagRates(records: records, detectors: config.detectors).rates
        fallbackRounds = records.filter { $0.aggregation?.fallback != nil }.map(\.round)
        evaluators = config.evaluators
        finalValidationAccuracy = records.last?.validationAccuracy
        finalTestAccuracy = records.last?.testAccuracy
        finalTestLoss = records.last?.testLoss
        participantsPerRound = records.map { $0.participants.count }
        rejectedMessages = records.reduce(0) { $0 + $1.rejected.count }
        medianRoundMs = records.isEmpty ? nil : Percentiles.median(records.map(\.durationsMs.total))
        cumulativeAttribution = attribution
        self.seconds = seconds
        self.roundsSeconds = roundsSeconds
        seeds = Seeds(partition: config.spec.partitionSeed, model: config.modelSeed, shuffle: config.hyperparameters.seed)
    }
}
