import Foundation

/// One `name` or `name(key=value;…)` item with numeric values, read with typed, range-checked accessors whose
/// errors name the policy (aggregation rule or detector), the key and the valid range.
struct NamedRuleOptions {
    let kind: AggregationError.Policy
    let name: String
    let values: [String: Double]

    init(parsing item: String, kind: AggregationError.Policy = .rule) throws(AggregationError) {
        self.kind = kind
        var name = item
        var values: [String: Double] = [:]
        if let open = item.firstIndex(of: "(") {
            guard item.hasSuffix(")") else { throw .malformed(text: item, reason: "expected name(key=value;…)") }
            name = String(item[..<open]).trimmingCharacters(in: .whitespaces)
            let inner = item[item.index(after: open)..<item.index(before: item.endIndex)]
            for pair in inner.split(whereSeparator: { $0 == ";" || $0 == "," }) {
                let kv = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2, let v = Double(kv[1]), v.isFinite else {
                    throw .malformed(text: item, reason: "'\(pair)' is not key=number")
                }
                guard values[kv[0]] == nil else { throw .malformed(text: item, reason: "option \(kv[0]) given twice") }
                values[kv[0]] = v
            }
        }
        let registry = kind == .rule ? AggregationRegistry.optionNames : DetectorRegistry.optionNames
        guard let known = registry[name] else {
            throw .unknownPolicy(kind, name: name, known: kind == .rule ? AggregationRegistry.names : DetectorRegistry.names)
        }
        for key in values.keys.sorted() where !known.contains(key) {
            throw .unknownOption(kind, name: name, option: key, known: known)
        }
        self.name = name
        self.values = values
    }

    func double<R: RangeExpression>(_ key: String, default fallback: Double, range: R, rangeText: String) throws(AggregationError) -> Double
    where R.Bound == Double {
        guard let v = values[key] else { return fallback }
        guard range.contains(v) else { throw .invalidOption(kind, name: name, option: key, value: v, range: rangeText) }
        return v
    }

    func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(AggregationError) -> Int {
        guard let v = values[key] else { return fallback }
        guard v.rounded() == v, v >= Double(range.lowerBound), v <= Double(range.upperBound) else {
            throw .invalidOption(kind, name: name, option: key, value: v, range: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(v)
    }
}
