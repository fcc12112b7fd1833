/// One round's accepted updates as a rule sees them: who sent each, how many samples it trained on, its reported
/// training loss, the base model the updates apply to, and which clients the detectors flagged.
public struct AggregationInput: Sendable {
    public var round: Int
    /// The global model w_t the updates were trained from.
    public var base: [Float]
    public var clients: [String]
    public var sampleCounts: [Int]
    /// Mean local training loss each client reported (unsigned, informational).
    public var trainLosses: [Double]
    /// One flat update (trained − base) per client, in `clients` order.
    public var updates: [[Float]] { didSet { statistics = nil } }
    /// The detector stage's mean, median and Gram of exactly `updates` (so a rule need not compute them again);
    /// cleared whenever `updates` changes (a coalition, dropped or clipped updates).
    public var statistics: RoundStatistics?
    /// Clients the detectors flagged this round, in `clients` order (all false when detection is off).
    public var flagged: [Bool]
    /// Leave flagged clients out before the rule runs (`--drop-flagged`).
    public var dropFlagged: Bool
    /// A per-round reference the rule computed in `prepare` (FLTrust's root-data update); shared by every coalition.
    public var reference: [Float]?
    /// The clipping bound `prepare` fixed for the round (norm clipping with a median multiple).
    public var clipBound: Double?

    public init(round: Int = 0, base: [Float], clients: [String], sampleCounts: [Int], trainLosses: [Double]? = nil,
                updates: [[Float]], flagged: [Bool]? = nil, dropFlagged: Bool = false, statistics: RoundStatistics? = nil) {
        precondition(clients.count == updates.count && sampleCounts.count == updates.count, "one id, count and update per client")
        self.round = round
        self.base = base
        self.clients = clients
        self.sampleCounts = sampleCounts
        self.trainLosses = trainLosses ?? [Double](repeating: 0, count: updates.count)
        self.updates = updates
        self.flagged = flagged ?? [Bool](repeating: false, count: updates.count)
        self.dropFlagged = dropFlagged
        precondition(statistics.map { $0.geometry.count == updates.count && $0.mean.count == base.count } ?? true,
                     "statistics of other updates")
        self.statistics = statistics
    }

    public var count: Int { updates.count }
    /// Length of the parameter vector.
    public var dimension: Int { base.count }

    /// The input restricted to the clients at `indices` (in that order); base, flags policy and reference are kept.
    public func selecting(_ indices: [Int]) -> AggregationInput {
        var out = self
        out.clients = indices.map { clients[$0] }
        out.sampleCounts = indices.map { sampleCounts[$0] }
        out.trainLosses = indices.map { trainLosses[$0] }
        out.updates = indices.map { updates[$0] }
        out.flagged = indices.map { flagged[$0] }
        return out
    }

    /// The coalition `members` (bit i = client i).
    public func subset(_ members: UInt64) -> AggregationInput {
        subset { $0 < 64 && members & (1 << UInt64($0)) != 0 }
    }

    /// The coalition of the clients (by index) for which `isMember` holds.
    public func subset(where isMember: (Int) -> Bool) -> AggregationInput {
        selecting(updates.indices.filter(isMember))
    }
}
