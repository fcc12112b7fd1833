import Foundation

/// Builds aggregation rules from config text: `name` or `name(key=value;…)`, with clipping composed in front by
/// `+` (`clip(factor=2)+krum(f=1)`). Every option is checked against its range here, when the config is read.
public enum AggregationRegistry {
    /// Every rule name `make` accepts (`clip` only in front of another rule, or alone for clipped FedAvg).
    public static let names = ["fedavg", "median", "trimmed-mean", "krum", "multi-krum", "fltrust", "clip"]

    /// The options each rule accepts.
    public static let optionNames: [String: [String]] = [
        "fedavg": [], "median": [], "trimmed-mean": ["beta"], "krum": ["f"], "multi-krum": ["f", "m"],
        "fltrust": ["root"], "clip": ["bound", "factor"],
    ]

    /// The rule `text` describes. `clients` (when known) checks options that depend on the federation's size;
    /// `root` is FLTrust's root training (without it FLTrust falls back every round, which only tests want).
    public static func make(_ text: String, clients: Int? = nil, root: RootTraining? = nil) throws(AggregationError) -> any AggregationRule {
        let parts = text.split(separator: "+", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.allSatisfy({ !$0.isEmpty }) else { throw .malformed(text: text, reason: "empty rule between '+'") }
        var rule: any AggregationRule
        let last = try NamedRuleOptions(parsing: parts.last!)
        if last.name == "clip" {
            rule = try clipping(last, inner: FedAvg())
        } else {
            rule = try base(last, root: root)
        }
        for part in parts.dropLast().reversed() {
            let o = try NamedRuleOptions(parsing: part)
            guard o.name == "clip" else {
                throw .malformed(text: text, reason: "only clip(…) can stand in front of another rule, found '\(o.name)'")
            }
            rule = try clipping(o, inner: rule)
        }
        if let clients { try rule.check(clients: clients) }
        return rule
    }

    /// Root samples FLTrust asks for in `text` (0 when the rule is not FLTrust): the data split carves them out.
    public static func rootSize(_ text: String) throws(AggregationError) -> Int {
        var rule = try make(text)
        while let clip = rule as? NormClipping { rule = clip.inner }
        return (rule as? FLTrust)?.rootSize ?? 0
    }

    static func base(_ o: NamedRuleOptions, root: RootTraining?) throws(AggregationError) -> any AggregationRule {
        switch o.name {
        case "fedavg": return FedAvg()
        case "median": return CoordinateMedian()
        case "trimmed-mean":
            return TrimmedMean(beta: try o.double("beta", default: 0.1, range: 0..<0.5, rangeText: "0 ≤ beta < 0.5"))
        case "krum":
            return Krum(f: try o.integer("f", default: 1, range: 0...10_000))
        case "multi-krum":
            return Krum(f: try o.integer("f", default: 1, range: 0...10_000), m: try o.integer("m", default: 0, range: 0...10_000))
        case "fltrust":
            return FLTrust(rootSize: try o.integer("root", default: 100, range: 1...1_000_000), training: root)
        default:
            throw .unknownPolicy(.rule, name: o.name, known: names)
        }
    }

    static func clipping(_ o: NamedRuleOptions, inner: any AggregationRule) throws(AggregationError) -> NormClipping {
        let hasBound = o.values["bound"] != nil, hasFactor = o.values["factor"] != nil
        guard hasBound != hasFactor else {
            throw .invalidOption(.rule, name: "clip", option: hasBound ? "bound, factor" : "bound or factor", value: nil,
                                 range: "exactly one of bound (> 0, a fixed L2 norm) or factor (> 0, × the round's median norm)")
        }
        let open = 0.0.nextUp...Double.greatestFiniteMagnitude
        if hasBound {
            return NormClipping(bound: .fixed(try o.double("bound", default: 1, range: open, rangeText: "bound > 0")), inner: inner)
        }
        return NormClipping(bound: .medianMultiple(try o.double("factor", default: 1, range: open, rangeText: "factor > 0")), inner: inner)
    }

    /// A number as options print it: integers without a decimal point, others in shortest form.
    public static func format(_ v: Double) -> String {
        v.rounded() == v && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
    }
}

/// Why an aggregation rule or a detector could not be built from its config text.
public enum AggregationError: Error, CustomStringConvertible, Equatable {
    public enum Policy: String, Sendable { case rule = "aggregation rule", detector }

    case unknownPolicy(Policy, name: String, known: [String])
    case unknownOption(Policy, name: String, option: String, known: [String])
    case invalidOption(Policy, name: String, option: String, value: String?, range: String)
    case malformed(text: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownPolicy(kind, name, known):
            return "unknown \(kind.rawValue) '\(name)'; known: \(known.joined(separator: ", "))"
        case let .unknownOption(kind, name, option, known):
            return "\(kind.rawValue) '\(name)' has no option '\(option)'; its options: \(known.isEmpty ? "none" : known.joined(separator: ", "))"
        case let .invalidOption(kind, name, option, value, range):
            return "\(kind.rawValue) '\(name)': option \(option)\(value.map { " = \($0)" } ?? "") is out of range; valid: \(range)"
        case let .malformed(text, reason):
            return "cannot read '\(text)': \(reason)"
        }
    }
}
