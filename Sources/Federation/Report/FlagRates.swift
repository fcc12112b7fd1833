import Foundation

/// Per detector and client: in how many of the client's rounds the detector flagged it, for summary.json and the report.
public struct FlagRates: Sendable, Equatable {
    public struct Count: Sendable, Codable, Equatable {
        public var rounds: Int
        public var flagged: Int
        public var rate: Double { rounds > 0 ? Double(flagged) / Double(rounds) : 0 }
    }

    /// detector → client → count.
    public var counts: [String: [String: Count]]

    /// From rounds.jsonl records: a client's rounds are those it took part in; `detectors` are every detector that
    /// ran (a detector that never flagged still gets rate 0 for every client).
    public init(records: [RoundRecord], detectors: [String]) {
        var counts: [String: [String: Count]] = [:]
        for r in records where r.aggregation != nil {
            for client in r.participants {
                let flags = r.flagged?[client] ?? []
                for d in detectors {
                    counts[d, default: [:]][client, default: Count(rounds: 0, flagged: 0)].rounds += 1
                    if flags.contains(d) { counts[d]![client]!.flagged += 1 }
                }
            }
        }
        self.counts = counts
    }

    /// detector → client → rate, as summary.json stores it.
    public var rates: [String: [String: Double]] { counts.mapValues { $0.mapValues(\.rate) } }

    /// A text table: one row per client, one column per detector, `flagged/rounds`.
    public func table(clients: [String]) -> String {
        let names = counts.keys.sorted()
        guard !names.isEmpty else { return "" }
        let width = max(8, clients.map(\.count).max() ?? 8)
        var lines = ["detector flags (flagged rounds / rounds taken part)"]
        lines.append("client".padding(toLength: width, withPad: " ", startingAt: 0)
                     + names.map { " " + String($0.prefix { $0 != "(" }).padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        for c in clients {
            var line = c.padding(toLength: width, withPad: " ", startingAt: 0)
            for d in names {
                let k = counts[d]?[c] ?? Count(rounds: 0, flagged: 0)
                line += " " + "\(k.flagged)/\(k.rounds)".padding(toLength: 16, withPad: " ", startingAt: 0)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// detector,client,rounds,flagged,rate lines.
    public var csv: String {
        var out = "detector,client,rounds,flagged,rate\n"
        for d in counts.keys.sorted() {
            for c in counts[d]!.keys.sorted(by: RunReport.clientOrder) {
                let k = counts[d]![c]!
                out += "\"\(d)\",\(c),\(k.rounds),\(k.flagged),\(k.rate)\n"
            }
        }
        return out
    }
}
