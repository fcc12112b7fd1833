import Foundation
import Testing
@testable import Federation

/// A round whose files cannot be written (here attribution.jsonl is replaced by a directory, which fails every write
/// as a full disk or a revoked permission would, even for root) is kept in memory and retried; the run either goes on
/// once writing works again or stops at the round boundary with every earlier round intact and resumable.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct WriteFailureTests {
    @Test func aRoundThatCannotBeWrittenIsRetriedAndTheRunLosesNothing() throws {
        let h = try FederationHarness(name: "writefail", rounds: 5, honest: ["client-0", "client-1"])
        defer { h.shutdown(); h.cleanUp() }
        try h.start()
        let attribution = try Self.breakAttributionAfterTwoRounds(h)
        #expect(ProcessHarness.eventually(timeout: 60) { h.log().contains("msg=\"cannot write round; keeping it in memory and retrying\"") })
        try Self.repair(attribution)

        let summary = try h.finish(within: 90)
        #expect(summary.rounds == 5)
        #expect(h.log().contains("msg=\"round written after retrying\""))
        #expect(ProcessHarness.jsonLines(h.out + "/rounds.jsonl").map { $0["round"] as? Int } == [1, 2, 3, 4, 5])
        #expect(ProcessHarness.jsonLines(h.out + "/ledger.jsonl").map { $0["round"] as? Int } == [1, 2, 3, 4, 5])
        let lines = ProcessHarness.jsonLines(attribution)
        #expect(lines.count == 5 * 2 * 2, "5 rounds × 2 evaluators × 2 clients, none twice")
        _ = try AuditVerifier.verify(directory: h.out, caFile: h.pki.caCertificate)
    }

    @Test func whenWritingNeverRecoversTheRunStopsAtARoundBoundaryWithEverythingBeforeItIntact() throws {
        let h = try FederationHarness(name: "writestop", rounds: 50, honest: ["client-0", "client-1"]) { $0.writeRetrySeconds = 2 }
        defer { h.shutdown(); h.cleanUp() }
        try h.start()
        let attribution = try Self.breakAttributionAfterTwoRounds(h)

        #expect(throws: FederationError.self) { _ = try h.finish(within: 60) }
        #expect(h.log().contains("msg=\"stopping: the run's files cannot be written; resume with --resume true once fixed\""))
        // Everything up to the checkpoint is intact: the same rounds in every file, and the ledger verifies.
        try Self.repair(attribution)
        let checkpoint = try RunCheckpoint.read(directory: h.out)
        let kept = try checkpoint.truncateOutputs(directory: h.out)
        #expect(kept.map(\.round) == Array(1...checkpoint.round))
        #expect(ProcessHarness.jsonLines(h.out + "/ledger.jsonl").count == checkpoint.round)
        #expect(ProcessHarness.jsonLines(attribution).count == checkpoint.round * 2 * 2)
        let report = try AuditVerifier.verify(directory: h.out, caFile: h.pki.caCertificate)
        #expect(report.records == checkpoint.round)
    }

    /// Once two rounds are written, replaces attribution.jsonl by a directory; returns its path.
    static func breakAttributionAfterTwoRounds(_ h: FederationHarness) throws -> String {
        let attribution = h.out + "/attribution.jsonl"
        #expect(ProcessHarness.eventually(timeout: 60) { ProcessHarness.jsonLines(h.out + "/ledger.jsonl").count >= 2 })
        // Moved aside, not copied: a line written meanwhile goes with it.
        try FileManager.default.moveItem(atPath: attribution, toPath: attribution + ".aside")
        try FileManager.default.createDirectory(atPath: attribution, withIntermediateDirectories: false)
        return attribution
    }

    static func repair(_ attribution: String) throws {
        try FileManager.default.removeItem(atPath: attribution)
        try FileManager.default.moveItem(atPath: attribution + ".aside", toPath: attribution)
    }
}
