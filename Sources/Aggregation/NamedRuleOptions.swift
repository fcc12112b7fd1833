import Options

/// A rule or detector item parsed by `Options.NamedOptions`, its keys checked against the registry, read with
/// range-checked accessors whose errors name the policy, the key and the valid range.
struct NamedRuleOptions {
    let kind: AggregationError.Policy
    let options: NamedOptions

    var name: String { options.name }
    var values: [String: String] { options.values }

    init(parsing item: String, kind: AggregationError.Policy = .rule) throws(AggregationError) {
        self.kind = kind
        do { options = try NamedOptions(parsing: item) } catch { throw .malformed(text: item, reason: "\(error)") }
        let registry = kind == .rule ? AggregationRegistry.optionNames : DetectorRegistry.optionNames
        guard let known = registry[options.name] else {
            throw .unknownPolicy(kind, name: options.name, known: kind == .rule ? AggregationRegistry.names : DetectorRegistry.names)
        }
        for key in options.values.keys.sorted() where !known.contains(key) {
            throw .unknownOption(kind, name: options.name, option: key, known: known)
        }
    }

    /// A finite number in `range` (which may be half-open), described as `rangeText` in the error.
    func double<R: RangeExpression>(_ key: String, default fallback: Double, range: R, rangeText: String) throws(AggregationError) -> Double
    where R.Bound == Double {
        guard let text = values[key] else { return fallback }
        guard let v = Double(text), v.isFinite, range.contains(v) else {
            throw .invalidOption(kind, name: name, option: key, value: text, range: rangeText)
        }
        return v
    }

    func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(AggregationError) -> Int {
        do { return try options.integer(key, default: fallback, range: range) } catch {
            throw .invalidOption(kind, name: name, option: key, value: values[key], range: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
    }
}
