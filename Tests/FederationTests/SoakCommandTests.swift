import Foundation
import Testing

/// `fedattr bench soak` on a small cluster: it runs real client processes over TLS, and its summary agrees with the
/// run's own files (the long soak itself is a benchmark, recorded in docs/BENCHMARKS.md).
@Suite(.serialized) struct SoakCommandTests {
    @Test(.timeLimit(.minutes(4))) func aSmallSoakPassesItsChecksAndItsSummaryMatchesTheRunFiles() throws {
        let out = ProcessHarness.temporaryDirectory("soak") + "/run"
        let result = try Tool.run(ProcessHarness.binary, ["bench", "soak", "--clients", "6", "--rounds", "4", "--warmup-rounds", "1",
                                                          "--per-client", "30", "--validation-size", "200", "--test-size", "200",
                                                          "--evaluators", "loo,banzhaf(samples=200),cosine", "--interval", "0.01", "--out", out], timeout: 200)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("checks: all passed"), "\(result.output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/soak-summary.json"))) as? [String: Any])
        #expect(summary["rounds_recorded"] as? Int == 4)
        // Independently of the command: updates the clients logged as sent, and entries the ledger signed for.
        let sent = (0..<6).map { i in
            ProcessHarness.read("\(out)/logs/client-\(i).log").split(separator: "\n").filter { $0.contains("msg=\"update sent\"") }.count
        }.reduce(0, +)
        let entries = ProcessHarness.jsonLines(out + "/ledger.jsonl").map { ($0["entries"] as? [Any])?.count ?? 0 }.reduce(0, +)
        let updates = try #require(summary["updates"] as? [String: Int])
        #expect(sent == 24 && updates["sent"] == sent && updates["taken"] == entries && updates["unaccounted"] == 0)
        // Sampled every 10 ms (rounds here take ≈ 50 ms; at the default 0.25 s the three rounds after warm-up could all
        // go unsampled, and the command then fails its RSS check): at most one value per round, each a live count.
        let descriptors = try #require(summary["descriptors_per_round"] as? [Int])
        #expect((1...4).contains(descriptors.count) && descriptors.allSatisfy { $0 > 0 }, "\(descriptors)")
        let samples = ProcessHarness.read(out + "/soak-samples.csv").split(separator: "\n")
        #expect(samples.first == "seconds,completed_rounds,rss_kb,descriptors,threads,cpu_seconds" && samples.count > 4)
    }
}
