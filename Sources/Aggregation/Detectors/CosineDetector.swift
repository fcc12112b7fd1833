/// Cosine outlier: flags a client whose update points away from a reference direction, cos(u_i, r) < min; the
/// reference is the round's sample-weighted mean (what FedAvg aggregates), its coordinate-wise median (which a
/// minority cannot drag), or the client's closest peer (the largest cosine to any other update: an update
/// orthogonal to every other, such as noise, scores ≈ 1/√d). Catches sign flips and random directions, not scaling.
public struct CosineDetector: Detector {
    public enum Reference: String, Sendable { case aggregate, median, peers }

    public let reference: Reference
    public let minimum: Double
    public var name: String { "cosine-\(reference.rawValue)(min=\(AggregationRegistry.format(minimum)))" }

    public init(reference: Reference, minimum: Double = 0) {
        self.reference = reference
        self.minimum = minimum
    }

    public func check(_ round: DetectionRound) -> [DetectionCheck] {
        return round.clients.indices.map { i in
            let c: Double
            switch reference {
            case .aggregate: c = round.geometry.cosine(i, reference: 0)
            case .median: c = round.geometry.cosine(i, reference: 1)
            case .peers: c = round.geometry.closestPeerCosine(i)
            }
            return DetectionCheck(round: round.round, client: round.clients[i], detector: name, score: c, threshold: minimum,
                                  direction: "below", flagged: c < minimum)
        }
    }
}
