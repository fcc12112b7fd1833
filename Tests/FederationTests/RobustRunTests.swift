import Attribution
import Foundation
import Logging
import Testing
@testable import Federation

/// A federation with a scaling attacker under Krum with --drop-flagged: what the detectors and the rule leave in
/// detections.jsonl, rounds.jsonl, the ledger and summary.json, and that `verify` holds them together.
@Suite(.serialized) struct RobustRunTests {
    @Test(.timeLimit(.minutes(3))) func aFlaggedAttackerIsRecordedEverywhereDroppedAndTheRuleFallsBack() throws {
        let out = ProcessHarness.temporaryDirectory("robust-run") + "/run"
        let flags = ["clients": "5", "rounds": "3", "dataset": "synthetic", "synthetic-count": "2000", "validation-size": "200",
                     "test-size": "200", "model": "mlp:16", "out": out, "listen": "inproc://robust-run", "round-deadline": "30",
                     "evaluators": "loo,shapley-exact", "aggregation": "krum(f=1)", "drop-flagged": "true",
                     "attacker": "client-3", "attack": "scale(k=50)"]
        let summary = try ProcessHarness.runInProcess(flags, label: "robust").summary

        // Every check is a line: 3 rounds × 5 clients × 6 detectors.
        let checks = ProcessHarness.jsonLines(out + "/detections.jsonl")
        #expect(checks.count == 3 * 5 * 6)
        let normFlags = checks.filter { ($0["detector"] as? String) == "norm(z=3.5)" && ($0["flagged"] as? Bool) == true }
        #expect(normFlags.filter { $0["client"] as? String == "client-3" }.count == 3, "the ×50 update, every round")

        let rounds = ProcessHarness.jsonLines(out + "/rounds.jsonl")
        for r in rounds {
            let flagged = try #require(r["flagged"] as? [String: [String]])
            #expect(flagged["client-3"]?.contains("norm(z=3.5)") == true)
            let aggregation = try #require(r["aggregation"] as? [String: Any])
            // Dropping the flagged attacker leaves 4 updates; Krum(f=1) needs 5, so the median aggregates, and says why.
            #expect(aggregation["rule"] as? String == "krum(f=1)")
            if flagged.count == 1 {
                #expect(aggregation["applied"] as? String == "median")
                #expect((aggregation["fallback"] as? String)?.contains("needs n > 2f + 2 = 4 updates, got 4") == true)
            }
            let dropped = (aggregation["dropped"] as? [[String: String]]) ?? []
            #expect(dropped.contains { $0["client"] == "client-3" && $0["reason"] == "flagged" })
        }
        #expect(summary.flagRates["norm(z=3.5)"]?["client-3"] == 1)
        #expect((summary.flagRates["norm(z=3.5)"] ?? [:]).filter { $0.value == 1 }.keys.sorted() == ["client-3"])
        #expect(summary.detectors.count == 6)

        // The console block (the coordinator's and `fedattr watch`'s, built from the round record) marks the attacker.
        let block = try #require(AttributionBlock.from(report: try RunReport(directory: out), round: 3, choice: "auto"))
        let attackerLine = try #require(block.text.split(separator: "\n").first { $0.hasPrefix("  client-3 ") })
        #expect(attackerLine.contains("FLAGGED(norm") && attackerLine.hasSuffix(" dropped"), "\(attackerLine)")
        #expect(attackerLine.count <= 120)

        // The ledger carries the flags and the decision, and verify matches them against detections.jsonl.
        let ledger = ProcessHarness.read(out + "/ledger.jsonl")
        #expect(ledger.contains("\"flags\":[") && ledger.contains("\"applied\":\"median\""))
        let report = try AuditVerifier.verify(directory: out, caFile: nil)
        #expect(report.flags >= 3)

        // A flag removed from detections.jsonl (or invented in it) no longer matches the ledger.
        let text = ProcessHarness.read(out + "/detections.jsonl")
        let lines = text.split(separator: "\n").map(String.init)
        let tampered = lines.map { $0.contains("\"client\":\"client-3\"") && $0.contains("norm(z=3.5)") ? $0.replacingOccurrences(of: "\"flagged\":true", with: "\"flagged\":false") : $0 }
        try (tampered.joined(separator: "\n") + "\n").write(toFile: out + "/detections.jsonl", atomically: true, encoding: .utf8)
        do {
            _ = try AuditVerifier.verify(directory: out, caFile: nil)
            Issue.record("a hidden flag went unnoticed")
        } catch let failure as LedgerVerificationFailure {
            #expect(failure.problems.contains(.flagMismatch(round: 1, client: "client-3", detector: "norm(z=3.5)", inLedger: true)))
        }
    }

    @Test(.timeLimit(.minutes(3))) func fltrustTrainsOnItsRootDataAndGivesASignFlipperNoWeight() throws {
        let out = ProcessHarness.temporaryDirectory("fltrust-run") + "/run"
        let flags = ["clients": "4", "rounds": "2", "dataset": "synthetic", "synthetic-count": "1600", "validation-size": "200",
                     "test-size": "200", "model": "mlp:16", "out": out, "listen": "inproc://fltrust-run", "round-deadline": "30",
                     "evaluators": "shapley-exact", "aggregation": "fltrust(root=100)", "detectors": "none",
                     "attacker": "client-1", "attack": "sign-flip"]
        let config = try ProcessHarness.runInProcess(flags, label: "fltrust").config
        #expect(config.spec.rootSize == 100 && config.spec.json().contains("\"root_size\":100"))
        let rounds = ProcessHarness.jsonLines(out + "/rounds.jsonl")
        #expect(rounds.count == 2)
        for r in rounds {
            let aggregation = try #require(r["aggregation"] as? [String: Any])
            #expect(aggregation["applied"] as? String == "fltrust(root=100)", "the root update exists: no fallback")
            let weights = try #require(aggregation["weights"] as? [String: Double])
            #expect(weights["client-1"] == 0, "a flipped update points away from the root update")
            #expect(abs(weights.values.reduce(0, +) - 1) < 1e-9)
            #expect(((aggregation["dropped"] as? [[String: String]]) ?? []).contains { $0["client"] == "client-1" && $0["reason"] == "trust 0" })
        }
        #expect(ProcessHarness.read(out + "/detections.jsonl").isEmpty, "detectors off: no checks")
    }
}
