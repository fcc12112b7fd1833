/// Krum-score outlier: flags a client whose Krum score (sum of squared distances to its n − f − 2 nearest
/// neighbours) has a robust z-score above z: an update far from every cluster of the others.
public struct KrumScoreDetector: Detector {
    public let f: Int
    public let z: Double
    public var name: String { "krum-score(f=\(f);z=\(AggregationRegistry.format(z)))" }

    public init(f: Int = 1, z: Double = 3.5) {
        self.f = f
        self.z = z
    }

    public func check(_ round: DetectionRound) -> [DetectionCheck] {
        let scores = RobustZ.scores(round.geometry.krumScores(f: f))
        return round.clients.indices.map { i in
            DetectionCheck(round: round.round, client: round.clients[i], detector: name, score: scores[i], threshold: z,
                           direction: "above", flagged: scores[i] > z)
        }
    }
}
