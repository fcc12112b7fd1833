import Attribution
import Foundation
import Testing
@testable import Federation
import PKI

/// The coordinator seals every ledger head with its own key and announces each head in the next task (the last one
/// in the finish message); the clients log them. `fedattr verify` then refuses a ledger that was edited and re-hashed
/// (the chain alone still holds) or cut back (the shorter ledger is a valid chain with valid seals) when a client log
/// saw a later head, and passes the intact run. Real coordinator and client processes over mutual TLS.
@Suite(.serialized) struct LedgerSealTests {
    @Test(.timeLimit(.minutes(3))) func rewritingAndTruncatingTheLedgerAreRefusedAndAnIntactRunVerifies() throws {
        let cluster = try TLSClusterFixture("seal", clients: 3)
        let coordinator = try cluster.startCoordinator(clients: 3, rounds: 4, ["--round-deadline", "30", "--evaluators", "marginal,loo,shapley-exact"])
        var clients: [Process] = []
        defer { ProcessHarness.stop([coordinator] + clients) }
        for i in 0..<3 { clients.append(try cluster.startClient(i)) }
        #expect(ProcessHarness.wait(coordinator, timeout: 120) == 0, "\(cluster.coordinatorStderr)")
        for client in clients { #expect(ProcessHarness.wait(client, timeout: 30) == 0) }
        let logs = cluster.dir + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        for i in 0..<3 { try FileManager.default.copyItem(atPath: "\(cluster.dir)/client-\(i).log", toPath: "\(logs)/client-\(i).log") }

        // Intact: 4 sealed records; each client saw the heads of rounds 0…4 (tasks 1…4 and the finish message).
        let audit = try AuditVerifier.audit(directory: cluster.out, caFile: cluster.pki + "/ca.crt", clientLogs: [logs])
        let (report, seals) = (audit.ledger, audit.seals)
        #expect(audit.efficientRounds == 4)
        #expect(report.records == 4)
        #expect(seals.sealedRecords == 4)
        #expect(seals.clientLogs == 3 && seals.clientHeads == 15 && seals.newestHeadSeen == 4)
        let coordinatorCertificate = try Certificate(pemFile: cluster.pki + "/coordinator.crt")
        #expect(seals.coordinatorFingerprint == coordinatorCertificate.fingerprint)
        // Each round is scored and recorded while the next one trains (--overlap-rounds, the default), so task r carries
        // the seal of round r−2, the newest one written when it is sent; the finish message carries the last.
        for i in 0..<3 {
            let seen = try String(contentsOfFile: "\(logs)/client-\(i).log", encoding: .utf8).split(separator: "\n")
                .compactMap { LedgerHeadSeenEvent(logfmtLine: $0) }
            #expect(seen.map(\.round) == [1, 2, 3, 4, 4] && seen.map(\.ledgerRound) == [0, 0, 1, 2, 4], "client-\(i): \(seen.map { "\($0.round):\($0.ledgerRound)" })")
        }
        let intact = try Self.verify(cluster, cluster.out, clientLogs: [logs])
        #expect(intact.status == 0, "\(intact.output)")
        #expect(intact.output.contains("ok: 4 records sealed by the coordinator"), "\(intact.output)")
        #expect(intact.output.contains("ok: 15 ledger heads in 3 client logs are all in the ledger (newest: round 4)"), "\(intact.output)")

        // The operator edits round 2's utility and re-hashes the chain from there: the chain alone is satisfied, the seals are not.
        let rewritten = try Self.copy(cluster.out, to: cluster.dir + "/rewritten")
        let ledgerPath = rewritten + "/" + Ledger.fileName
        var records = try LedgerVerifier.readLedger(path: ledgerPath)
        var previous = records[0].digest
        for i in 1..<records.count {
            let r = records[i]
            records[i] = LedgerRecord(round: r.round, time: r.time, previousDigest: previous, modelDigest: r.modelDigest,
                                      nextModelDigest: r.nextModelDigest, entries: r.entries, attributions: r.attributions,
                                      refused: r.refused, flags: r.flags, aggregation: r.aggregation,
                                      utilityBefore: r.utilityBefore, utilityAfter: r.utilityAfter + (i == 1 ? 0.5 : 0))
            previous = records[i].digest
        }
        try records.map { $0.line + "\n" }.joined().write(toFile: ledgerPath, atomically: true, encoding: .utf8)
        _ = try LedgerVerifier.verify(directory: rewritten) { _ in true }
        let refusedRewrite = try Self.verify(cluster, rewritten, clientLogs: [])
        #expect(refusedRewrite.status == 1)
        #expect(refusedRewrite.output.contains("round 2: the coordinator sealed head"), "\(refusedRewrite.output)")
        #expect(refusedRewrite.output.contains("rewritten after the run"), "\(refusedRewrite.output)")
        // The edit also broke efficiency (exact Shapley values no longer sum to v(N) − v(∅)); both are reported.
        #expect(refusedRewrite.output.contains("round 2: exact Shapley values sum to"), "\(refusedRewrite.output)")

        // The operator cuts the last two rounds from every file, seals included: a valid shorter ledger…
        let truncated = try Self.copy(cluster.out, to: cluster.dir + "/truncated")
        let run = RunLayout(directory: truncated)
        for path in RunCheckpoint.roundFiles(run) + [run.detections] { try RunCheckpoint.keepRounds(upTo: 2, path: path) }
        let alone = try Self.verify(cluster, truncated, clientLogs: [])
        #expect(alone.status == 0, "without client logs a cut at a round boundary is not visible: \(alone.output)")
        #expect(alone.output.contains("no --client-logs given"))
        // …that the clients' logs expose: they saw the heads of rounds 3 and 4.
        let refusedCut = try Self.verify(cluster, truncated, clientLogs: ["\(logs)/client-1.log"])
        #expect(refusedCut.status == 1)
        #expect(refusedCut.output.contains("saw round 4 with head"), "\(refusedCut.output)")
        #expect(refusedCut.output.contains("the ledger ends at round 2; the coordinator's seal on that head verifies"), "\(refusedCut.output)")

        // A client log that names a head the coordinator never sealed is refused as such (not taken as proof).
        let forged = cluster.dir + "/forged.log"
        let line = try String(contentsOfFile: "\(logs)/client-0.log", encoding: .utf8).split(separator: "\n")
            .last { $0.contains("msg=\"ledger head seen\"") && $0.contains("ledger_round=4") }!
        try (line.replacingOccurrences(of: "ledger_round=4", with: "ledger_round=5") + "\n").write(toFile: forged, atomically: true, encoding: .utf8)
        let refusedForged = try Self.verify(cluster, cluster.out, clientLogs: [forged])
        #expect(refusedForged.status == 1)
        #expect(refusedForged.output.contains("its seal does not verify against the coordinator's certificate"), "\(refusedForged.output)")

        // A damaged head line (its head cut short) is named, not skipped: the audit cannot read what that client saw.
        let damaged = cluster.dir + "/damaged.log"
        let intactLine = try String(contentsOfFile: "\(logs)/client-2.log", encoding: .utf8).split(separator: "\n")
            .first { $0.contains("msg=\"ledger head seen\"") && $0.contains("ledger_round=1") }!
        let cut = intactLine.replacingOccurrences(of: #"head=([0-9a-f]{10})[0-9a-f]+"#, with: "head=$1", options: .regularExpression)
        #expect(cut != String(intactLine))
        try ([String(intactLine), cut].joined(separator: "\n") + "\n").write(toFile: damaged, atomically: true, encoding: .utf8)
        let refusedDamaged = try Self.verify(cluster, cluster.out, clientLogs: [damaged])
        #expect(refusedDamaged.status == 1)
        #expect(refusedDamaged.output.contains("damaged.log line 2: a 'ledger head seen' line without a readable round, ledger_round, head or seal"),
                "\(refusedDamaged.output)")

        // Removing the seals file is no way out.
        let unsealed = try Self.copy(cluster.out, to: cluster.dir + "/unsealed")
        try FileManager.default.removeItem(atPath: unsealed + "/" + LedgerSeals.fileName)
        let refusedUnsealed = try Self.verify(cluster, unsealed, clientLogs: [])
        #expect(refusedUnsealed.status == 1)
        #expect(refusedUnsealed.output.contains("ledger-seals.jsonl is missing"), "\(refusedUnsealed.output)")

        // A seal with a negative round is a bad line, not a crash; seals that are not text are not "missing".
        let negative = try Self.copy(cluster.out, to: cluster.dir + "/negative")
        let sealsPath = negative + "/" + LedgerSeals.fileName
        let sealLines = try String(contentsOfFile: sealsPath, encoding: .utf8).split(separator: "\n")
        try (sealLines.map(String.init) + [sealLines[0].replacingOccurrences(of: "\"round\":1", with: "\"round\":-2")])
            .joined(separator: "\n").appending("\n").write(toFile: sealsPath, atomically: true, encoding: .utf8)
        let refusedNegative = try Self.verify(cluster, negative, clientLogs: [])
        #expect(refusedNegative.status == 1)
        #expect(refusedNegative.output.contains("ledger-seals.jsonl line 5 is not a seal"), "\(refusedNegative.output)")
        try Data([0xff, 0xfe, 0x00, 0x80]).write(to: URL(fileURLWithPath: sealsPath))
        let refusedBinary = try Self.verify(cluster, negative, clientLogs: [])
        #expect(refusedBinary.status == 1)
        #expect(refusedBinary.output.contains("is not readable as text (unreadable or not UTF-8)"), "\(refusedBinary.output)")
    }

    static func copy(_ directory: String, to destination: String) throws -> String {
        try FileManager.default.copyItem(atPath: directory, toPath: destination)
        return destination
    }

    /// `fedattr verify DIR [--client-logs …]`: its exit status and standard output + error.
    static func verify(_ cluster: TLSClusterFixture, _ directory: String, clientLogs: [String]) throws -> (status: Int32?, output: String) {
        let name = "verify-\(UUID().uuidString.prefix(6))"
        let process = try ProcessHarness.start(["verify", directory, "--ca", cluster.pki + "/ca.crt"]
                                               + (clientLogs.isEmpty ? [] : ["--client-logs"] + clientLogs),
                                               name: name, logDirectory: cluster.dir)
        let status = ProcessHarness.wait(process, timeout: 60)
        return (status, ProcessHarness.read("\(cluster.dir)/\(name).stdout") + ProcessHarness.read("\(cluster.dir)/\(name).stderr"))
    }
}

/// `fedattr verify` checks that exact Shapley values sum to v(N) − v(∅) = utility after − utility before.
@Suite struct EfficiencyCheckTests {
    static func record(_ values: [Double], before: Double = 0.25, after: Double = 0.75) -> LedgerRecord {
        LedgerRecord(round: 1, time: "t", previousDigest: LedgerRecord.genesisDigest, modelDigest: "m", nextModelDigest: nil,
                     entries: [], attributions: values.enumerated().map {
                         LedgerAttribution(evaluator: "shapley-exact", client: "client-\($0.offset)", value: $0.element)
                     } + [LedgerAttribution(evaluator: "loo", client: "client-0", value: 9)],
                     utilityBefore: before, utilityAfter: after)
    }

    @Test func efficientValuesPassAndAnEditedValueIsRefused() throws {
        #expect(try AuditVerifier.checkEfficiency([Self.record([0.1, 0.15, 0.25])]) == 1)
        // Rounding far below the tolerance passes (0.1 + 0.2 is not 0.3 in binary).
        #expect(try AuditVerifier.checkEfficiency([Self.record([0.1, 0.2], before: 0, after: 0.3)]) == 1)
        #expect(throws: AuditFailure.self) { try AuditVerifier.checkEfficiency([Self.record([0.1, 0.15, 0.2500001])]) }
        // Rounds without exact Shapley values are not checked.
        #expect(try AuditVerifier.checkEfficiency([Self.record([])]) == 0)
    }
}
