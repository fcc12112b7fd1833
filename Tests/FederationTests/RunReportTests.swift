import Foundation
import Logging
import Testing
@testable import Federation

@Suite struct RunReportTests {
    @Test(.timeLimit(.minutes(4))) func reportWritesCSVAndOnePlotLinePerClient() throws {
        let dir = ProcessHarness.temporaryDirectory("report")
        let out = dir + "/run"
        try ProcessHarness.runInProcess([
            "clients": "3", "rounds": "2", "dataset": "synthetic", "synthetic-count": "1200", "validation-size": "200",
            "test-size": "200", "model": "mlp:16", "out": out, "listen": "inproc://report", "evaluators": "loo,shapley-exact",
        ])

        let report = try RunReport(directory: out)
        let files = try report.write(to: dir + "/report")
        #expect(files == ["accuracy.svg", "attribution.csv", "cumulative-loo.svg", "cumulative-shapley-exact.svg", "flag-rates.csv", "rounds.csv"])
        let rates = ProcessHarness.read(dir + "/report/flag-rates.csv").split(separator: "\n")
        #expect(rates.count == 1 + 6 * 3, "one row per default detector and client")
        #expect(rates.dropFirst().allSatisfy { $0.split(separator: ",").dropFirst().dropFirst().first == "2" }, "two rounds each")
        let rounds = ProcessHarness.read(dir + "/report/rounds.csv").split(separator: "\n")
        #expect(rounds.count == 3 && rounds[0].hasPrefix("round,participants,"))
        let attribution = ProcessHarness.read(dir + "/report/attribution.csv").split(separator: "\n")
        #expect(attribution.count == 1 + 2 * 2 * 3)
        let svg = ProcessHarness.read(dir + "/report/cumulative-shapley-exact.svg")
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 3)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        let standings = report.standings()
        #expect(standings.contains("client-2") && standings.contains("Spearman rank correlation with shapley-exact: loo"))
        #expect(standings.contains("detector flags"))
    }

    @Test func malformedOrMissingFilesAreNamed() throws {
        let dir = ProcessHarness.temporaryDirectory("badreport")
        #expect(throws: FederationError.cannotRead(path: dir + "/rounds.jsonl", reason: "missing")) { try RunReport(directory: dir) }
        // Each bad line gets a reason a reader can act on, not the decoder's debug text.
        let cases = [("{\"round\":1}", "line 1 is not a valid record: missing key 'time'"),
                     ("{\"round\":\"x\"}", "line 1 is not a valid record: 'round' is not of type Int"),
                     ("garbage", "line 1 is not a valid record: not JSON (or nested too deeply)"),
                     (String(repeating: "[", count: 70_000), "line 1 is not a valid record: not JSON (or nested too deeply)")]
        for (line, expected) in cases {
            try (line + "\n").write(toFile: dir + "/rounds.jsonl", atomically: true, encoding: .utf8)
            do {
                _ = try RunReport(directory: dir)
                Issue.record("a malformed line was accepted: \(line.prefix(40))")
            } catch let FederationError.cannotRead(path, reason) {
                #expect(path.hasSuffix("rounds.jsonl") && reason == expected, "\(reason)")
            }
        }
    }

    @Test func ranksAndSpearman() {
        #expect(RunReport.ranks([0.5, 2, 0.5, -1]) == [2, 1, 2, 4])
        #expect(RunReport.spearman([1, 2, 3, 4], [1, 2, 3, 4]) == 1)
        #expect(abs(RunReport.spearman([1, 2, 3, 4], [4, 3, 2, 1]) + 1) < 1e-12)
    }
}
