/// One line of attribution.jsonl: an evaluator's value for one client in one round, with its running total and rank.
public struct AttributionRecord: Sendable, Equatable {
    public var round: Int
    public var evaluator: String
    public var client: String
    public var value: Double
    /// Sum of this evaluator's values for this client over all rounds so far (rounds where the client was absent add 0).
    public var cumulative: Double
    /// 1 = highest value among the round's participants for this evaluator; ties share the smallest rank.
    public var rank: Int
    public var samples: Int

    public init(round: Int, evaluator: String, client: String, value: Double, cumulative: Double, rank: Int, samples: Int) {
        self.round = round
        self.evaluator = evaluator
        self.client = client
        self.value = value
        self.cumulative = cumulative
        self.rank = rank
        self.samples = samples
    }

    /// The canonical JSON line (without newline): keys client, cumulative, evaluator, rank, round, samples, value.
    public var jsonLine: String {
        JSONValue.object([
            "round": .integer(round), "evaluator": .string(evaluator), "client": .string(client),
            "value": .double(value), "cumulative": .double(cumulative), "rank": .integer(rank), "samples": .integer(samples),
        ]).serialized
    }

    /// Parses one attribution.jsonl line; nil names the missing or mistyped key.
    public static func parse(_ line: String) throws -> AttributionRecord {
        let json = try JSONValue.parse(line)
        func need<T>(_ key: String, _ read: (JSONValue) -> T?) throws -> T {
            guard let raw = json[key], let value = read(raw) else { throw JSONParseError(offset: 0, reason: "missing or mistyped key '\(key)'") }
            return value
        }
        return AttributionRecord(
            round: try need("round") { $0.intValue }, evaluator: try need("evaluator") { $0.stringValue },
            client: try need("client") { $0.stringValue }, value: try need("value") { $0.doubleValue },
            cumulative: try need("cumulative") { $0.doubleValue }, rank: try need("rank") { $0.intValue },
            samples: try need("samples") { $0.intValue })
    }

    /// Ranks with 1 = highest; equal values share the minimum rank ("1224" ranking).
    public static func ranks(_ values: [Double]) -> [Int] {
        values.map { v in 1 + values.filter { $0 > v }.count }
    }
}
