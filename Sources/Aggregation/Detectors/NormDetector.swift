/// L2-norm outlier: flags a client whose update norm has a robust z-score (median/MAD over the round) beyond ±z,
/// catching scaled (boosted) updates and updates shrunk towards zero (free riders).
public struct NormDetector: Detector {
    public let z: Double
    public var name: String { "norm(z=\(AggregationRegistry.format(z)))" }

    public init(z: Double = 3.5) { self.z = z }

    public func check(_ round: DetectionRound) -> [DetectionCheck] {
        let scores = RobustZ.scores(round.geometry.norms)
        return round.clients.indices.map { i in
            DetectionCheck(round: round.round, client: round.clients[i], detector: name, score: scores[i], threshold: z,
                           direction: "abs", flagged: abs(scores[i]) > z)
        }
    }
}
