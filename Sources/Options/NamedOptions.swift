/// A policy named in a setting with its options, written `name` or `name(key=value;key=value)`: an attack, an
/// aggregation rule, a detector. Values are kept as text; typed accessors check them against a range.
public struct NamedOptions: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let values: [String: String]

    public init(name: String, values: [String: String] = [:]) {
        self.name = name
        self.values = values
    }

    /// Parses one item such as `trimmed-mean(beta=0.1)` or `attribution-first(generator=gen.safetensors;batch=32)`.
    public init(parsing item: String) throws(OptionsError) {
        let text = item.trimmingWhitespace()
        guard !text.isEmpty else { throw .malformed(item: item, reason: "empty name") }
        guard let open = text.firstIndex(of: "(") else {
            guard !text.contains(")"), !text.contains("="), !text.contains(";") else {
                throw .malformed(item: item, reason: "options go in parentheses: name(key=value;…)")
            }
            self.init(name: text)
            return
        }
        guard text.hasSuffix(")") else { throw .malformed(item: item, reason: "missing closing parenthesis") }
        let name = String(text[..<open]).trimmingWhitespace()
        guard !name.isEmpty else { throw .malformed(item: item, reason: "empty name") }
        let inner = text[text.index(after: open)..<text.index(before: text.endIndex)]
        var values: [String: String] = [:]
        for pair in inner.split(separator: ";", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).trimmingWhitespace() }
            guard kv.count == 2, !kv[0].isEmpty, !kv[1].isEmpty else {
                throw .malformed(item: item, reason: "'\(pair)' is not key=value")
            }
            guard values[kv[0]] == nil else { throw .malformed(item: item, reason: "option '\(kv[0])' given twice") }
            values[kv[0]] = kv[1]
        }
        self.init(name: name, values: values)
    }

    /// `name` or `name(k=v;…)` with keys sorted: the canonical spelling, for logs and summaries.
    public var description: String {
        values.isEmpty ? name : name + "(" + values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: ";") + ")"
    }

    /// Refuses any option not in `known`.
    public func checkKeys(_ known: [String]) throws(OptionsError) {
        for key in values.keys.sorted() where !known.contains(key) {
            throw .unknownOption(policy: name, option: key, known: known)
        }
    }

    public func string(_ key: String) -> String? { values[key] }

    public func double(_ key: String, default fallback: Double, range: ClosedRange<Double>) throws(OptionsError) -> Double {
        guard let text = values[key] else { return fallback }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw .invalidValue(policy: name, option: key, value: text, expected: "a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    public func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(OptionsError) -> Int {
        guard let text = values[key] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidValue(policy: name, option: key, value: text, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    public func bool(_ key: String, default fallback: Bool) throws(OptionsError) -> Bool {
        guard let text = values[key] else { return fallback }
        switch text.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw .invalidValue(policy: name, option: key, value: text, expected: "true or false")
        }
    }

    /// One of `choices`.
    public func choice(_ key: String, default fallback: String, among choices: [String]) throws(OptionsError) -> String {
        guard let text = values[key] else { return fallback }
        guard choices.contains(text) else {
            throw .invalidValue(policy: name, option: key, value: text, expected: "one of \(choices.joined(separator: ", "))")
        }
        return text
    }

    /// A comma-free list given as `a|b|c`, each element an integer in `range`.
    public func integers(_ key: String, range: ClosedRange<Int>) throws(OptionsError) -> [Int]? {
        guard let text = values[key] else { return nil }
        var out: [Int] = []
        for part in text.split(separator: "|") {
            guard let v = Int(part), range.contains(v) else {
                throw .invalidValue(policy: name, option: key, value: text, expected: "integers in \(range.lowerBound)...\(range.upperBound) separated by |")
            }
            out.append(v)
        }
        return out
    }

    /// A seed: a non-negative integer (0 when absent).
    public func seed(_ key: String = "seed") throws(OptionsError) -> UInt64 {
        guard let text = values[key] else { return 0 }
        guard let value = UInt64(text) else {
            throw .invalidValue(policy: name, option: key, value: text, expected: "a non-negative integer")
        }
        return value
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
