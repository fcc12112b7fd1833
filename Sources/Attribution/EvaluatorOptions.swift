/// Reads an evaluator's numeric options, rejecting unknown names and out-of-range values.
struct EvaluatorOptions {
    let evaluator: String
    let values: [String: Double]

    init(evaluator: String, values: [String: Double], known: [String]) throws(AttributionError) {
        for key in values.keys.sorted() where !known.contains(key) {
            throw .unknownOption(evaluator: evaluator, option: key, known: known)
        }
        self.evaluator = evaluator
        self.values = values
    }

    func double(_ key: String, default fallback: Double, range: ClosedRange<Double>) throws(AttributionError) -> Double {
        guard let value = values[key] else { return fallback }
        guard value.isFinite, range.contains(value) else {
            throw .invalidOption(evaluator: evaluator, option: key, value: value, reason: "must lie in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(AttributionError) -> Int {
        guard let value = values[key] else { return fallback }
        guard value.isFinite, value.rounded() == value, value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            throw .invalidOption(evaluator: evaluator, option: key, value: value, reason: "must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(value)
    }

    func seed(_ key: String = "seed") throws(AttributionError) -> UInt64 {
        guard let value = values[key] else { return 0 }
        guard value.isFinite, value.rounded() == value, value >= 0, value < 9_007_199_254_740_992 else {
            throw .invalidOption(evaluator: evaluator, option: key, value: value, reason: "must be a non-negative integer below 2^53")
        }
        return UInt64(value)
    }
}
