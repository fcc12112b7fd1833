import Aggregation
import Attribution
import Foundation
import Logging
import Testing
@testable import Federation

@Suite struct AttributionBlockTests {
    @Test func autoFollowsExactShapleyUpTo14ParticipantsThenGTG() {
        let configured = ["marginal", "shapley-exact", "gtg-shapley"]
        let scored = Set(configured)
        #expect(AttributionBlock.evaluator(choice: "auto", configured: configured, participants: 14, scored: scored) == "shapley-exact")
        #expect(AttributionBlock.evaluator(choice: "auto", configured: configured, participants: 15, scored: scored) == "gtg-shapley")
        // exact Shapley refused the round (too many players): GTG is shown instead
        #expect(AttributionBlock.evaluator(choice: "auto", configured: configured, participants: 5, scored: ["marginal", "gtg-shapley"]) == "gtg-shapley")
        #expect(AttributionBlock.evaluator(choice: "auto", configured: ["loo", "cosine"], participants: 5, scored: ["loo", "cosine"]) == "loo")
        #expect(AttributionBlock.evaluator(choice: "marginal", configured: configured, participants: 5, scored: scored) == "marginal")
        #expect(AttributionBlock.evaluator(choice: "loo", configured: configured, participants: 5, scored: scored) == nil)
    }

    @Test func consoleEvaluatorMustBeAutoTableOrConfigured() throws {
        let ok = try CoordinatorConfig(settings: Settings(flags: ["evaluators": "loo,marginal", "console-evaluator": "marginal"], environment: [:]))
        #expect(ok.consoleEvaluator == "marginal")
        #expect(try CoordinatorConfig(settings: Settings(flags: [:], environment: [:])).consoleEvaluator == "auto")
        #expect(throws: FederationError.self) {
            try CoordinatorConfig(settings: Settings(flags: ["evaluators": "loo", "console-evaluator": "shapley-exact"], environment: [:]))
        }
    }

    /// Two rounds: client-2 takes part in round 1 only, client-3 is refused in round 2 and a forged message arrives.
    private func twoRounds() throws -> (AttributionBlock, [AttributionRecord]) {
        let book = try AttributionBook(directory: nil, evaluators: ["marginal", "shapley-exact"])
        try book.record(round: 1, clients: ["client-0", "client-1", "client-2"], sampleCounts: [100, 200, 300],
                        values: ["shapley-exact": [0.01, 0.02, 0.5], "marginal": [1, 1, 1]])
        let round2 = try book.record(round: 2, clients: ["client-0", "client-1", "client-10"], sampleCounts: [100, 200, 50],
                                     values: ["shapley-exact": [0.03, -0.01, 0.2], "marginal": [1, 1, 1]])
        let rejected = [
            RoundRecord.RejectedMessage(pipe: 4, client: "client-3", claimedClient: "client-3", code: "wrong-base-model", reason: "r", messageSha256: "00"),
            RoundRecord.RejectedMessage(pipe: 9, client: nil, claimedClient: "client-1", code: "bad-signature", reason: "r", messageSha256: "11"),
        ]
        var record = RoundRecord(round: 2, time: "t", participants: ["client-0", "client-1", "client-10"], sampleCounts: [100, 200, 50],
                                 stragglers: ["client-2"], rejected: rejected, utilityBefore: 0.5, utilityAfter: 0.72,
                                 validationAccuracy: 0.72, validationLoss: 0.9, testAccuracy: 0.7, testLoss: 0.95,
                                 durationsMs: .init(total: 1234))
        // client-10 is flagged by two detectors (norm twice, as the files may list it) and left out of the aggregate;
        // client-1 is flagged only by the history detector and kept.
        record.flagged = ["client-10": ["norm(z=3)", "krum-score(f=1;z=2.5)", "norm(z=3)"], "client-1": ["history(k=3;m=2)"]]
        record.aggregation = .init(AggregationDecision(rule: "mean", clients: ["client-0", "client-1", "client-10"], weights: [0.5, 0.5, 0],
                                                       dropped: [.init(client: "client-10", reason: "flagged")]))
        let block = AttributionBlock(round: record, of: 30, evaluator: "shapley-exact", records: round2,
                                     cumulative: book.cumulativeValues(evaluator: "shapley-exact"))
        return (block, round2)
    }

    @Test func blockShowsValuesStandingsAndMarksEveryoneInEightyColumns() throws {
        let (block, _) = try twoRounds()
        let rows = Dictionary(uniqueKeysWithValues: block.rows.map { ($0.client, $0) })
        #expect(block.rows.map(\.client) == ["client-0", "client-1", "client-2", "client-3", "client-10"])
        #expect(rows["client-10"]!.value == 0.2 && rows["client-10"]!.rank == 1)
        #expect(rows["client-10"]!.marks == ["FLAGGED(norm,krum-score)", "dropped"])
        #expect(abs(rows["client-0"]!.cumulative - 0.04) < 1e-12 && rows["client-0"]!.rank == 2)
        // client-2 sat out round 2 but keeps the best cumulative value and its standing
        #expect(rows["client-2"]!.value == nil && rows["client-2"]!.cumulative == 0.5 && rows["client-2"]!.standing == 1)
        #expect(rows["client-2"]!.marks == ["straggler"])
        #expect(rows["client-3"]!.marks == ["REFUSED(wrong-base-model)"] && rows["client-3"]!.cumulative == 0)
        #expect(rows["client-1"]!.marks == ["FLAGGED(history)"], "an unverified message claiming client-1 must not mark client-1 as refused")
        #expect(rows["client-0"]!.marks.isEmpty)
        #expect(rows.values.map(\.standing).sorted() == [1, 2, 3, 4, 5])

        let lines = block.text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "round 2/30  clients 3/4  val acc 0.7200  test acc 0.7000  1234 ms  refused 2")
        #expect(lines[1].contains("shapley-exact") && lines[1].contains("cumulative"))
        #expect(lines.contains { $0.hasPrefix("  client-10") && $0.contains("+0.2000") && $0.hasSuffix("  FLAGGED(norm,krum-score) dropped") })
        #expect(lines.contains { $0.hasPrefix("  client-3 ") && $0.hasSuffix("  REFUSED(wrong-base-model)") })
        #expect(lines.contains { $0.hasPrefix("  client-2 ") && $0.hasSuffix("  straggler") })
        #expect(lines.last == "  refused: pipe 9 claiming client-1: bad-signature")
        for line in lines {
            #expect(line.count <= 120, "too wide: \(line)")
            if !line.contains("REFUSED") && !line.contains("FLAGGED") { #expect(line.count <= 80, "too wide: \(line)") }
        }
    }

    @Test func logfmtLinesCarryTheBlocksNumbers() throws {
        let (block, round2) = try twoRounds()
        let path = NSTemporaryDirectory() + "fedattr-block-\(UUID().uuidString).log"
        let sink = try LogSink(path: path)
        block.log(to: Logger(label: "coordinator") { LogfmtLogHandler(label: $0, sink: sink) })
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == block.rows.count)
        for r in round2 where r.evaluator == "shapley-exact" {
            let line = try #require(lines.first { $0.contains(" client=\(r.client) ") })
            #expect(line.contains("msg=attribution") && line.contains(" round=2 ") && line.contains(" evaluator=shapley-exact "))
            #expect(line.contains(" value=\(r.value)") && line.contains(" cumulative=\(r.cumulative)") && line.contains(" rank=\(r.rank)"))
        }
        #expect(lines.contains { $0.contains("client=client-2 ") && $0.contains("marks=straggler") && !$0.contains(" value=") })
    }
}
