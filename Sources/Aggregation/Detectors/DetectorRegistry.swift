/// Builds detectors from the `detectors` setting: a list of `name` or `name(key=value;…)` items, or `none`.
public enum DetectorRegistry {
    public static let names = ["norm", "cosine-aggregate", "cosine-median", "cosine-peers", "krum-score", "history"]
    /// The default list: every detector with its default options.
    public static let defaults = "norm,cosine-aggregate,cosine-median,cosine-peers,krum-score,history"

    public static let optionNames: [String: [String]] = [
        "norm": ["z"], "cosine-aggregate": ["min"], "cosine-median": ["min"], "cosine-peers": ["min"], "krum-score": ["f", "z"], "history": ["k", "m"],
    ]

    /// The detectors `items` describe, history last (it reads the others' flags); `none` alone means no detectors.
    /// Every detector works on any number of updates (Krum scores use all other updates when n − f − 2 < 1).
    public static func make(_ items: [String]) throws(AggregationError) -> [any Detector] {
        if items == ["none"] || items.isEmpty { return [] }
        var out: [any Detector] = []
        var history: (any Detector)?
        var seen: Set<String> = []
        for item in items {
            let o = try NamedRuleOptions(parsing: item, kind: .detector)
            guard seen.insert(o.name).inserted else { throw .malformed(text: item, reason: "detector '\(o.name)' listed twice") }
            let positive = 0.0.nextUp...1e12
            switch o.name {
            case "norm":
                out.append(NormDetector(z: try o.double("z", default: 3.5, range: positive, rangeText: "z > 0")))
            case "cosine-aggregate", "cosine-median":
                out.append(CosineDetector(reference: o.name == "cosine-median" ? .median : .aggregate,
                                          minimum: try o.double("min", default: 0, range: -1.0...1.0, rangeText: "-1 ≤ min ≤ 1")))
            case "cosine-peers":
                out.append(CosineDetector(reference: .peers,
                                          minimum: try o.double("min", default: 0.05, range: -1.0...1.0, rangeText: "-1 ≤ min ≤ 1")))
            case "krum-score":
                let f = try o.integer("f", default: 1, range: 0...10_000)
                out.append(KrumScoreDetector(f: f, z: try o.double("z", default: 3.5, range: positive, rangeText: "z > 0")))
            default:
                let m = try o.integer("m", default: 5, range: 1...10_000)
                let k = try o.integer("k", default: min(3, m), range: 1...10_000)
                guard k <= m else {
                    throw .invalidOption(.detector, name: o.name, option: "k", value: "\(k)", range: "an integer in 1...m (m = \(m))")
                }
                history = HistoryDetector(k: k, m: m)
            }
        }
        if let history { out.append(history) }
        return out
    }
}
