import Aggregation
import Attribution
import Foundation

/// `fedattr report DIR`: turns a run's rounds.jsonl and attribution.jsonl into CSV files for other tools, SVG
/// plots (accuracy, cumulative attribution per evaluator) and a text summary of the final standings.
public struct RunReport: Sendable {
    public let rounds: [RoundRecord]
    public let scores: [AttributionRecord]
    /// Every detector that ran (from detections.jsonl; empty for runs without detectors or before they existed).
    public let detectors: [String]

    /// Reads the run directory; a missing file or a malformed line is an error naming the file and line.
    public init(directory: String) throws {
        let layout = RunLayout(directory: directory)
        rounds = try Self.readLines(layout.rounds, as: RoundRecord.self)
        let path = layout.attribution
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw FederationError.cannotRead(path: path, reason: "missing") }
        scores = try text.split(separator: "\n", omittingEmptySubsequences: true).enumerated().map { i, line in
            do { return try AttributionRecord.parse(String(line)) } catch {
                throw FederationError.cannotRead(path: path, reason: "line \(i + 1) is not a valid record: \(error)")
            }
        }
        var names: [String] = []
        if let text = try? String(contentsOfFile: layout.detections, encoding: .utf8) {
            for line in text.split(separator: "\n").prefix(10_000) {
                if let check = try? RunJSON.decoder().decode(DetectionCheck.self, from: Data(line.utf8)), !names.contains(check.detector) {
                    names.append(check.detector)
                }
            }
        }
        detectors = names
        guard !rounds.isEmpty else { throw FederationError.cannotRead(path: layout.rounds, reason: "no rounds recorded") }
    }

    static func readLines<T: Decodable>(_ path: String, as type: T.Type) throws -> [T] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FederationError.cannotRead(path: path, reason: "missing")
        }
        let decoder = RunJSON.decoder()
        var out: [T] = []
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            do { out.append(try decoder.decode(T.self, from: Data(line.utf8))) } catch {
                throw FederationError.cannotRead(path: path, reason: "line \(i + 1) is not a valid record: \(RunJSON.describe(error))")
            }
        }
        return out
    }

    public var evaluators: [String] {
        var seen: [String] = []
        for s in scores where !seen.contains(s.evaluator) { seen.append(s.evaluator) }
        return seen
    }

    public var clients: [String] { Array(Set(scores.map(\.client))).sorted { Self.clientOrder($0, $1) } }

    static func clientOrder(_ a: String, _ b: String) -> Bool {
        let na = Int(a.split(separator: "-").last ?? ""), nb = Int(b.split(separator: "-").last ?? "")
        if let na, let nb, a.hasPrefix("client-"), b.hasPrefix("client-") { return na < nb }
        return a < b
    }

    /// Writes rounds.csv, attribution.csv, accuracy.svg and cumulative-EVALUATOR.svg into `directory`.
    public func write(to directory: String) throws -> [String] {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw FederationError.cannotWrite(path: directory)
        }
        var files: [String: String] = [:]
        var csv = "round,participants,validation_accuracy,validation_loss,test_accuracy,test_loss,utility_before,utility_after,rejected,stragglers,total_ms\n"
        for r in rounds {
            csv += "\(r.round),\(r.participants.count),\(r.validationAccuracy),\(r.validationLoss),\(r.testAccuracy),\(r.testLoss),"
            csv += "\(r.utilityBefore.map { "\($0)" } ?? ""),\(r.utilityAfter.map { "\($0)" } ?? ""),\(r.rejected.count),\(r.stragglers.count),\(r.durationsMs.total)\n"
        }
        files["rounds.csv"] = csv
        csv = "round,evaluator,client,value,cumulative,rank\n"
        for s in scores { csv += "\(s.round),\(s.evaluator),\(s.client),\(s.value),\(s.cumulative),\(s.rank)\n" }
        files["attribution.csv"] = csv
        if !detectors.isEmpty { files["flag-rates.csv"] = flagRates.csv }
        files["accuracy.svg"] = SVGLineChart(title: "Global model accuracy", xLabel: "round", yLabel: "accuracy", series: [
            .init(name: "test", points: rounds.map { (Double($0.round), $0.testAccuracy) }),
            .init(name: "validation", points: rounds.map { (Double($0.round), $0.validationAccuracy) }),
        ]).render()
        for e in evaluators {
            let series = clients.map { c in
                SVGLineChart.Series(name: c, points: scores.filter { $0.evaluator == e && $0.client == c }.map { (Double($0.round), $0.cumulative) })
            }
            files["cumulative-\(e).svg"] = SVGLineChart(title: "Cumulative attribution: \(e)", xLabel: "round", yLabel: "cumulative value", series: series).render()
        }
        for (name, text) in files {
            let path = directory + "/" + name
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch { throw FederationError.cannotWrite(path: path) }
        }
        return files.keys.sorted()
    }

    /// Final cumulative value and rank of every client under every evaluator, plus each evaluator's Spearman rank
    /// correlation with the first exact Shapley-type evaluator present (how far the evaluators agree on who contributed).
    public func standings() -> String {
        let names = evaluators
        let cs = clients
        var finals: [String: [String: Double]] = [:]
        for s in scores { finals[s.evaluator, default: [:]][s.client] = s.cumulative }
        var lines = ["final cumulative attribution (rank) after round \(rounds.last!.round); test accuracy \(String(format: "%.4f", rounds.last!.testAccuracy))"]
        let width = max(8, cs.map(\.count).max() ?? 8)
        lines.append("client".padding(toLength: width, withPad: " ", startingAt: 0) + names.map { " " + $0.prefix(16).padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        let ranks = Dictionary(uniqueKeysWithValues: names.map { e in (e, Self.ranks(cs.map { finals[e]?[$0] ?? 0 })) })
        for (i, c) in cs.enumerated() {
            var line = c.padding(toLength: width, withPad: " ", startingAt: 0)
            for e in names {
                let cell = String(format: "%+.4f (%d)", finals[e]?[c] ?? 0, ranks[e]![i])
                line += " " + cell.padding(toLength: 16, withPad: " ", startingAt: 0)
            }
            lines.append(line)
        }
        if let reference = ["shapley-exact", "mr-shapley", "gtg-shapley"].first(where: names.contains) {
            let agreement = names.filter { $0 != reference }.map { e in
                "\(e) \(String(format: "%+.2f", Self.spearman(ranks[reference]!, ranks[e]!)))"
            }
            lines.append("Spearman rank correlation with \(reference): " + agreement.joined(separator: ", "))
        }
        if !detectors.isEmpty { lines.append(flagRates.table(clients: cs)) }
        return lines.joined(separator: "\n")
    }

    public var flagRates: FlagRates { FlagRates(records: rounds, detectors: detectors) }

    /// Ranks with 1 = highest; ties share the smallest rank.
    static func ranks(_ values: [Double]) -> [Int] {
        values.map { v in 1 + values.filter { $0 > v }.count }
    }

    static func spearman(_ a: [Int], _ b: [Int]) -> Double {
        let n = Double(a.count)
        guard n > 1 else { return 1 }
        let ma = a.map(Double.init).reduce(0, +) / n, mb = b.map(Double.init).reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) {
            sab += (Double(x) - ma) * (Double(y) - mb)
            saa += (Double(x) - ma) * (Double(x) - ma)
            sbb += (Double(y) - mb) * (Double(y) - mb)
        }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : 0
    }
}
