/// Watches every round's accepted updates before aggregation and scores each client; a score beyond the
/// detector's threshold flags the client. Detectors only flag: a rule drops flagged clients only with `--drop-flagged`.
public protocol Detector: Sendable {
    /// The canonical name with options, as in configs, detections.jsonl and the ledger: `norm(z=3)`.
    var name: String { get }
    /// One check per client of the round, in `round.clients` order.
    func check(_ round: DetectionRound) -> [DetectionCheck]
}

/// What a detector sees of a round: the accepted updates and what is computed once for all detectors.
public struct DetectionRound: Sendable {
    public var round: Int
    public var clients: [String]
    public var sampleCounts: [Int]
    public var updates: [[Float]]
    /// The updates' Gram matrix, with `mean` as reference 0 and `median` as reference 1.
    public var geometry: UpdateGeometry
    /// The sample-weighted mean of all accepted updates: what FedAvg would aggregate.
    public var mean: [Float]
    /// The coordinate-wise median of the accepted updates.
    public var median: [Float]
    /// Per client, the rounds (before this one) in which any other detector flagged it.
    public var flaggedRounds: [String: [Int]]
    /// This round's flags from the detectors that ran before (client → detector names).
    public var flagsSoFar: [String: [String]]

    public var count: Int { updates.count }
}

/// One detector's verdict on one client in one round: a line of detections.jsonl.
public struct DetectionCheck: Sendable, Codable, Equatable {
    public var round: Int
    public var client: String
    public var detector: String
    public var score: Double
    public var threshold: Double
    /// `above` when a score above the threshold flags, `below` when a score below it does, `abs` for |score|.
    public var direction: String
    public var flagged: Bool

    public init(round: Int, client: String, detector: String, score: Double, threshold: Double, direction: String, flagged: Bool) {
        self.round = round
        self.client = client
        self.detector = detector
        self.score = score
        self.threshold = threshold
        self.direction = direction
        self.flagged = flagged
    }
}

/// Median/MAD robust z-scores: (x − median) / (1.4826 · MAD). When the MAD is zero (most values equal) the scale
/// falls back to 1e-6 of the median's magnitude (or 1e-12), so a lone differing value scores far out.
public enum RobustZ {
    public static func scores(_ xs: [Double]) -> [Double] {
        guard let med = Vector.median(xs) else { return [] }
        let mad = Vector.median(xs.map { abs($0 - med) }) ?? 0
        var scale = 1.4826 * mad
        if !(scale > 0) { scale = max(abs(med) * 1e-6, 1e-12) }
        return xs.map { ($0 - med) / scale }
    }
}
