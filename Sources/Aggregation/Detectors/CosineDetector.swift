/// Cosine outlier: flags a client whose update points away from a reference direction, cos(u_i, r) < min; the
/// reference is the round's sample-weighted mean (what FedAvg aggregates) or its coordinate-wise median (which a
/// minority cannot drag). Catches sign flips and random-direction updates, not scaling.
public struct CosineDetector: Detector {
    public enum Reference: String, Sendable { case aggregate, median }

    public let reference: Reference
    public let minimum: Double
    public var name: String { "cosine-\(reference.rawValue)(min=\(AggregationRegistry.format(minimum)))" }

    public init(reference: Reference, minimum: Double = 0) {
        self.reference = reference
        self.minimum = minimum
    }

    public func check(_ round: DetectionRound) -> [DetectionCheck] {
        let r = reference == .aggregate ? round.mean : round.median
        return round.clients.indices.map { i in
            let c = Vector.cosine(round.updates[i], r)
            return DetectionCheck(round: round.round, client: round.clients[i], detector: name, score: c, threshold: minimum,
                                  direction: "below", flagged: c < minimum)
        }
    }
}
