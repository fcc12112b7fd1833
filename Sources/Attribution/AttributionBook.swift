import Foundation

/// Per-evaluator cumulative values and per-round ranks for every client; appends attribution.jsonl and prints round tables.
/// Thread-safe (state behind an NSLock) so the coordinator may query it from any task.
public final class AttributionBook: @unchecked Sendable {
    public static let fileName = "attribution.jsonl"

    /// Evaluator names in column order.
    public let evaluators: [String]
    /// The attribution.jsonl path, or nil when the book keeps everything in memory only.
    public let path: String?
    private let lock = NSLock()
    private var cumulativeValues: [String: [String: Double]] = [:]
    private var rounds: [Int: [AttributionRecord]] = [:]
    /// The cumulative values before the last recorded round, so that recording that round again (after its write
    /// failed) replaces it instead of counting it twice.
    private var beforeLastRound: (round: Int, cumulative: [String: [String: Double]])?

    /// Opens (creating the directory if needed) `directory/attribution.jsonl`; existing lines are read back so
    /// cumulative values continue where a previous run stopped. `directory` nil keeps the book in memory.
    public init(directory: String?, evaluators: [String]) throws {
        self.evaluators = evaluators
        guard let directory else {
            path = nil
            return
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = (directory as NSString).appendingPathComponent(Self.fileName)
        path = file
        if FileManager.default.fileExists(atPath: file) {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                let record = try AttributionRecord.parse(String(line))
                cumulativeValues[record.evaluator, default: [:]][record.client] = record.cumulative
                rounds[record.round, default: []].append(record)
            }
        } else {
            _ = FileManager.default.createFile(atPath: file, contents: nil)
        }
    }

    /// Records one round: `values[evaluator]` holds one value per client (same order as `clients`).
    /// Returns the records in evaluator order then client order, as appended to attribution.jsonl.
    @discardableResult
    public func record(round: Int, clients: [String], sampleCounts: [Int], values: [String: [Double]]) throws -> [AttributionRecord] {
        for name in values.keys.sorted() where !evaluators.contains(name) {
            throw AttributionError.unknownEvaluatorValues(name: name, known: evaluators)
        }
        guard sampleCounts.count == clients.count else {
            throw AttributionError.inputMismatch(evaluator: "book", field: "sample counts", expected: clients.count, found: sampleCounts.count)
        }
        lock.lock()
        defer { lock.unlock() }
        if let undo = beforeLastRound, undo.round == round {
            cumulativeValues = undo.cumulative
            rounds[round] = nil
        } else {
            beforeLastRound = (round, cumulativeValues)
        }
        var records: [AttributionRecord] = []
        for name in evaluators {
            guard let scores = values[name] else { continue }
            guard scores.count == clients.count else {
                throw AttributionError.inputMismatch(evaluator: name, field: "values", expected: clients.count, found: scores.count)
            }
            let ranks = AttributionRecord.ranks(scores)
            var totals = cumulativeValues[name, default: [:]]
            for (index, client) in clients.enumerated() {
                let total = totals[client, default: 0] + scores[index]
                totals[client] = total
                records.append(AttributionRecord(round: round, evaluator: name, client: client, value: scores[index],
                                                 cumulative: total, rank: ranks[index], samples: sampleCounts[index]))
            }
            cumulativeValues[name] = totals
        }
        if let path {
            let text = records.map { $0.jsonLine + "\n" }.joined()
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        }
        rounds[round, default: []].append(contentsOf: records)
        return records
    }

    /// Runs every evaluator on `input`, records the round and returns the records plus each evaluator's wall time in seconds.
    public func evaluateAndRecord(_ input: RoundInput, with evaluatorObjects: [any Evaluator]) throws -> (records: [AttributionRecord], seconds: [String: Double]) {
        var values: [String: [Double]] = [:]
        var seconds: [String: Double] = [:]
        for evaluator in evaluatorObjects {
            let start = DispatchTime.now().uptimeNanoseconds
            values[evaluator.name] = try evaluator.evaluate(input)
            seconds[evaluator.name] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let records = try record(round: input.round, clients: input.clients, sampleCounts: input.sampleCounts, values: values)
        return (records, seconds)
    }

    /// The running total of `evaluator` for `client` (0 if never scored).
    public func cumulative(evaluator: String, client: String) -> Double {
        lock.lock()
        defer { lock.unlock() }
        return cumulativeValues[evaluator]?[client] ?? 0
    }

    /// All running totals of `evaluator`, by client.
    public func cumulativeValues(evaluator: String) -> [String: Double] {
        lock.lock()
        defer { lock.unlock() }
        return cumulativeValues[evaluator] ?? [:]
    }

    /// The records of one round (evaluator order then client order).
    public func records(round: Int) -> [AttributionRecord] {
        lock.lock()
        defer { lock.unlock() }
        return rounds[round] ?? []
    }

    /// Rank of each client in `round` for `evaluator` (1 = highest value).
    public func ranks(round: Int, evaluator: String) -> [String: Int] {
        Dictionary(records(round: round).filter { $0.evaluator == evaluator }.map { ($0.client, $0.rank) }, uniquingKeysWith: { a, _ in a })
    }

    /// A fixed-width table of the round: one row per client with samples and, per evaluator, value, cumulative and rank.
    public func table(round: Int) -> String {
        let records = records(round: round)
        var clients: [String] = []
        var samples: [String: Int] = [:]
        var cells: [String: AttributionRecord] = [:]
        for r in records {
            if samples[r.client] == nil {
                clients.append(r.client)
                samples[r.client] = r.samples
            }
            cells[r.evaluator + "\u{0}" + r.client] = r
        }
        let names = evaluators.filter { name in records.contains { $0.evaluator == name } }
        let clientWidth = max(6, clients.map(\.count).max() ?? 0)
        let pad = { (s: String, w: Int) -> String in s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        let padRight = { (s: String, w: Int) -> String in s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        let groupWidth = 10 + 1 + 10 + 1 + 4
        var header1 = padRight("round \(round)", clientWidth) + " " + pad("", 7)
        var header2 = padRight("client", clientWidth) + " " + pad("samples", 7)
        for name in names {
            let title = name.count > groupWidth ? String(name.prefix(groupWidth)) : name
            header1 += " | " + padRight(title, groupWidth)
            header2 += " | " + pad("value", 10) + " " + pad("cum", 10) + " " + pad("rank", 4)
        }
        var lines = [header1, header2, String(repeating: "-", count: header2.count)]
        for client in clients {
            var line = padRight(client, clientWidth) + " " + pad(String(samples[client] ?? 0), 7)
            for name in names {
                if let r = cells[name + "\u{0}" + client] {
                    line += " | " + pad(Self.format(r.value), 10) + " " + pad(Self.format(r.cumulative), 10) + " " + pad(String(r.rank), 4)
                } else {
                    line += " | " + pad("-", 10) + " " + pad("-", 10) + " " + pad("-", 4)
                }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Signed fixed-point with 6 decimals, falling back to exponent form for very large or tiny magnitudes.
    static func format(_ value: Double) -> String {
        if !value.isFinite { return value.description }
        if value != 0 && (abs(value) >= 1e4 || abs(value) < 1e-5) { return String(format: "%+.3e", value) }
        return String(format: "%+.6f", value)
    }
}
