import Attribution
import Foundation
import Logging

/// The compact per-round view of attribution for a console or `docker compose logs`: one evaluator's value, round
/// rank, cumulative value and standing per client, with refused messages, stragglers, clients flagged by a detector
/// and updates left out of the aggregate marked. Lines stay within 80 columns for client names up to 12 characters
/// (marks may reach 120); `log(to:)` carries the same numbers as logfmt.
public struct AttributionBlock: Sendable {
    /// One client's line: absent clients (stragglers, not yet joined) keep their cumulative value and standing.
    public struct Row: Sendable, Equatable {
        public var client: String
        public var samples: Int?
        public var value: Double?
        public var rank: Int?
        public var cumulative: Double
        /// 1 = highest cumulative value among every client scored so far.
        public var standing: Int
        public var marks: [String]
    }

    public let round: RoundRecord
    /// The federation's number of rounds, when known (`fedattr watch` reads files that do not say).
    public let totalRounds: Int?
    public let evaluator: String
    public let rows: [Row]

    /// Evaluator names the console can follow besides a configured evaluator.
    public static let automatic = "auto"
    /// Players up to which `auto` shows exact Shapley (2^N coalitions per round); above it, GTG-Shapley.
    public static let exactLimit = 14

    /// The evaluator `choice` designates for a round with `participants` clients: `auto` prefers shapley-exact up to
    /// `exactLimit` participants, then gtg-shapley, then the first configured evaluator that produced values.
    public static func evaluator(choice: String, configured: [String], participants: Int, scored: Set<String>) -> String? {
        guard choice == automatic else { return scored.contains(choice) ? choice : nil }
        var preference = participants <= exactLimit ? ["shapley-exact", "gtg-shapley"] : ["gtg-shapley", "shapley-exact"]
        preference += configured
        return preference.first { configured.contains($0) && scored.contains($0) }
    }

    /// Builds the block from the round's records of `evaluator` and its running totals over all clients; the
    /// detectors that flagged a client and the clients the aggregation dropped come from `round`.
    public init(round: RoundRecord, of totalRounds: Int?, evaluator: String, records: [AttributionRecord],
                cumulative: [String: Double]) {
        self.round = round
        self.totalRounds = totalRounds
        self.evaluator = evaluator
        let mine = Dictionary(records.filter { $0.evaluator == evaluator }.map { ($0.client, $0) }, uniquingKeysWith: { a, _ in a })
        var totals = cumulative
        for (client, r) in mine { totals[client] = r.cumulative }
        let flagged = round.flagged ?? [:]
        let dropped = Set(round.aggregation?.dropped.map(\.client) ?? [])
        let clients = Set(totals.keys).union(round.stragglers).union(round.rejected.compactMap(\.client))
        let standings = AttributionRecord.ranks(clients.sorted().map { totals[$0] ?? 0 })
        let standingOf = Dictionary(uniqueKeysWithValues: zip(clients.sorted(), standings))
        var refusedCodes: [String: [String]] = [:]
        // Only a verified pipe identity marks a row; what an unverified message claims is listed apart.
        for r in round.rejected {
            if let client = r.client { refusedCodes[client, default: []].append(r.code) }
        }
        rows = clients.sorted(by: RunReport.clientOrder).map { client in
            var marks: [String] = []
            if let detectors = flagged[client] { marks.append("FLAGGED(\(Self.shortNames(detectors)))") }
            if dropped.contains(client) { marks.append("dropped") }
            if let codes = refusedCodes[client] { marks.append("REFUSED(\(codes.joined(separator: ",")))") }
            if round.stragglers.contains(client) { marks.append("straggler") }
            let r = mine[client]
            if r == nil, marks.isEmpty { marks.append("absent") }
            return Row(client: client, samples: r?.samples, value: r?.value, rank: r?.rank, cumulative: totals[client] ?? 0,
                       standing: standingOf[client] ?? clients.count, marks: marks)
        }
    }

    /// The block of `round` rebuilt from a run directory's files, as `fedattr watch` shows it; nil when no
    /// evaluator `choice` designates scored that round.
    public static func from(report: RunReport, round: Int, choice: String, totalRounds: Int? = nil) -> AttributionBlock? {
        guard let record = report.rounds.first(where: { $0.round == round }) else { return nil }
        let records = report.scores.filter { $0.round == round }
        guard let name = evaluator(choice: choice, configured: report.evaluators, participants: record.participants.count,
                                   scored: Set(records.map(\.evaluator))) else { return nil }
        var cumulative: [String: Double] = [:]
        for s in report.scores where s.evaluator == name && s.round <= round { cumulative[s.client] = s.cumulative }
        return AttributionBlock(round: record, of: totalRounds, evaluator: name, records: records, cumulative: cumulative)
    }

    /// The block: a summary line, a header, one line per client, then refused messages from unverified pipes.
    public var text: String {
        let r = round
        var summary = "round \(r.round)" + (totalRounds.map { "/\($0)" } ?? "")
        summary += String(format: "  clients %d/%d  val acc %.4f  test acc %.4f  %.0f ms", r.participants.count, r.participants.count + r.stragglers.count,
                             r.validationAccuracy, r.testAccuracy, r.durationsMs.total)
        if !r.rejected.isEmpty { summary += "  refused \(r.rejected.count)" }
        let width = max(10, evaluator.count + 1, (rows.map(\.client.count).max() ?? 0) + 1)
        let pad = { (s: String, w: Int) in String(repeating: " ", count: max(0, w - s.count)) + s }
        let left = { (s: String, w: Int) in s + String(repeating: " ", count: max(0, w - s.count)) }
        var lines = [summary, "  " + left(evaluator, width) + pad("samples", 8) + pad("value", 11) + pad("rank", 5)
                         + pad("cumulative", 12) + pad("stand", 6)]
        for row in rows {
            var line = "  " + left(row.client, width) + pad(row.samples.map(String.init) ?? "-", 8)
                + pad(row.value.map(Self.format) ?? "-", 11) + pad(row.rank.map(String.init) ?? "-", 5)
                + pad(Self.format(row.cumulative), 12) + pad(String(row.standing), 6)
            if !row.marks.isEmpty { line += "  " + row.marks.joined(separator: " ") }
            lines.append(line)
        }
        for rejected in r.rejected where rejected.client == nil {
            lines.append("  refused: pipe \(rejected.pipe) claiming \(rejected.claimedClient ?? "-"): \(rejected.code)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Detector names without their parameters (`norm(z=3)` → `norm`), each once: the files keep the full names.
    static func shortNames(_ detectors: [String]) -> String {
        var seen: [String] = []
        for d in detectors {
            let name = String(d.prefix { $0 != "(" })
            if !seen.contains(name) { seen.append(name) }
        }
        return seen.joined(separator: ",")
    }

    /// Signed fixed point with 4 decimals (values are utility differences, e.g. accuracy points / 100).
    static func format(_ v: Double) -> String { v.isFinite ? String(format: "%+.4f", v) : "\(v)" }

    /// One logfmt line per row with the same numbers at full precision (msg="attribution").
    public func log(to logger: Logger) {
        for row in rows {
            var metadata: Logger.Metadata = [
                "round": "\(round.round)", "evaluator": "\(evaluator)", "client": "\(row.client)",
                "cumulative": "\(row.cumulative)", "standing": "\(row.standing)",
            ]
            if let v = row.value { metadata["value"] = "\(v)" }
            if let k = row.rank { metadata["rank"] = "\(k)" }
            if let s = row.samples { metadata["samples"] = "\(s)" }
            if !row.marks.isEmpty { metadata["marks"] = "\(row.marks.joined(separator: ","))" }
            logger.info("attribution", metadata: metadata)
        }
    }
}
