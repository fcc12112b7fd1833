/// Krum and Multi-Krum (Blanchard et al., 2017): score each update by the squared distances to its n − f − 2
/// nearest neighbours and keep the m best-scored (Krum: m = 1), averaged without weights. Defined for n > 2f + 2
/// updates; on fewer the coordinate-wise median aggregates instead and the decision says so.
public struct Krum: AggregationRule {
    /// Byzantine clients tolerated.
    public let f: Int
    /// Updates kept: nil for Krum (one), 0 for Multi-Krum's default n − f, else that many (at most n).
    public let m: Int?

    public var name: String { m == nil ? "krum(f=\(f))" : "multi-krum(f=\(f);m=\(m!))" }
    public var fallback: (any AggregationRule)? { CoordinateMedian() }

    public init(f: Int, m: Int? = nil) {
        precondition(f >= 0 && (m ?? 0) >= 0, "f and m must be non-negative")
        self.f = f
        self.m = m
    }

    /// The smallest number of updates Krum is defined on: 2f + 3.
    public var minimumUpdates: Int { 2 * f + 3 }

    public func unavailable(_ input: AggregationInput) -> String? {
        input.count < minimumUpdates ? "\(name) needs n > 2f + 2 = \(minimumUpdates - 1) updates, got \(input.count)" : nil
    }

    public func check(clients: Int) throws(AggregationError) {
        let rule = m == nil ? "krum" : "multi-krum"
        if minimumUpdates > clients {
            throw .invalidOption(.rule, name: rule, option: "f", value: "\(f)",
                                 range: "0...\(max(0, (clients - 3) / 2)) for \(clients) clients (Krum needs n > 2f + 2)")
        }
        if let m, m > clients {
            throw .invalidOption(.rule, name: rule, option: "m", value: "\(m)", range: "0...\(clients) (0 = n − f)")
        }
    }

    /// How many updates are kept out of n.
    public func selected(_ n: Int) -> Int {
        guard let m else { return 1 }
        return min(n, m == 0 ? n - f : m)
    }

    public func combine(_ input: AggregationInput) -> AggregationResult {
        let n = input.count
        let scores = (input.statistics?.geometry ?? UpdateGeometry(input.updates)).krumScores(f: f)
        let order = (0..<n).sorted { scores[$0] != scores[$1] ? scores[$0] < scores[$1] : $0 < $1 }
        let keep = Set(order.prefix(selected(n)))
        let weights = (0..<n).map { keep.contains($0) ? 1 / Double(keep.count) : 0 }
        let dropped = (0..<n).filter { !keep.contains($0) }.map {
            AggregationDecision.Dropped(client: input.clients[$0], reason: "krum score")
        }
        return AggregationResult(aggregate: Vector.weightedMean(input.updates, weights: weights, count: input.dimension),
                                 decision: AggregationDecision(rule: name, clients: input.clients, weights: weights,
                                                               dropped: dropped, scores: ["krum_score": scores]))
    }
}
