import Attribution
import Foundation
import Learning
import Logging
import PKI

/// The files a coordinator leaves in its output directory: rounds.jsonl, attribution.jsonl, ledger.jsonl,
/// checkpoint.safetensors, summary.json and, on request, updates/round-R-CLIENT.safetensors.
final class RunOutput: @unchecked Sendable {  // used from the coordinator's thread only
    let directory: String
    let layout: RunLayout
    private let rounds: JSONLines
    private let archiveUpdates: Bool
    /// The coordinator's seal on each round's ledger head.
    let seals: LedgerSeals

    /// `resume`: continue the files already there (cut back to the checkpoint by `RunCheckpoint`). `seals` signs each
    /// round's ledger head with the coordinator's key.
    init(directory: String, archiveUpdates: Bool, resume: Bool = false, seals: LedgerSeals) throws {
        self.directory = directory
        layout = RunLayout(directory: directory)
        self.archiveUpdates = archiveUpdates
        self.seals = seals
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if archiveUpdates {
                try FileManager.default.createDirectory(atPath: layout.updates, withIntermediateDirectories: true)
            }
        } catch {
            throw FederationError.cannotWrite(path: directory)
        }
        for stale in [layout.rounds, layout.summary, layout.checkpoint, layout.ledgerSeals] where !resume {
            try? FileManager.default.removeItem(atPath: stale)
        }
        rounds = try JSONLines(path: layout.rounds)
    }

    /// Keeps a copy of the CA certificate the run checks clients against (DIR/ca.crt), so that `fedattr verify DIR`
    /// can check every certificate in the ledger without being told where the PKI was.
    func recordTrustAnchor(caFile: String) throws {
        guard caFile != layout.caCertificate else { return }
        guard let pem = FileManager.default.contents(atPath: caFile) else { throw FederationError.cannotRead(path: caFile, reason: "missing") }
        guard FileManager.default.createFile(atPath: layout.caCertificate, contents: pem) else {
            throw FederationError.cannotWrite(path: layout.caCertificate)
        }
    }

    /// Writes the round's lines and then its checkpoint. A failure (disk full, no descriptors, permissions) is logged
    /// and retried, the files cut back to where the round began before each attempt, for up to `retrySeconds`; then it
    /// throws, leaving every earlier round and its checkpoint intact (resume with `--resume`).
    func writeRound(_ record: RoundRecord, scores: RoundScores?, submissions: [SubmissionRecord],
                    refused: [RoundRecord.RejectedMessage], modelDigest: [UInt8], newModel: [Float],
                    attribution: RoundAttribution, checkpoint: RunCheckpoint, retrySeconds: Double, logger: Logger,
                    aggregation: RoundAggregation.Outcome? = nil) throws {
        let files = RunCheckpoint.roundFiles(layout)
        let sizes = files.map { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0 }
        let started = Date()
        var pause = 0.25
        for attempt in 1... {
            do {
                try writeRoundOnce(record, scores: scores, submissions: submissions, refused: refused, modelDigest: modelDigest,
                                   newModel: newModel, attribution: attribution, checkpoint: checkpoint, aggregation: aggregation)
                if attempt > 1 { logger.notice("round written after retrying", metadata: ["round": "\(record.round)", "attempts": "\(attempt)"]) }
                return
            } catch {
                for (file, size) in zip(files, sizes) { _ = truncate(file, off_t(size)) }
                let waited = Date().timeIntervalSince(started)
                logger.error("cannot write round; keeping it in memory and retrying", metadata: [
                    "round": "\(record.round)", "attempt": "\(attempt)", "error": "\(error)",
                    "waited_s": "\(String(format: "%.1f", waited))", "give_up_after_s": "\(retrySeconds)",
                ])
                if waited + pause > retrySeconds { throw FederationError.roundNotWritten(round: record.round, reason: "\(error)") }
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 8)
            }
        }
    }

    private func writeRoundOnce(_ record: RoundRecord, scores: RoundScores?, submissions: [SubmissionRecord],
                                refused: [RoundRecord.RejectedMessage], modelDigest: [UInt8], newModel: [Float],
                                attribution: RoundAttribution, checkpoint: RunCheckpoint, aggregation: RoundAggregation.Outcome?) throws {
        try rounds.append(record)
        try attribution.record(round: record.round, scores: scores, submissions: submissions, refused: refused,
                               modelDigest: modelDigest, nextModel: newModel, flags: aggregation?.ledgerFlags ?? [],
                               aggregation: aggregation?.ledgerAggregation)
        if archiveUpdates {
            for s in submissions {
                let path = layout.archivedUpdate(round: record.round, client: s.client)
                do {
                    try SafeTensors.write([("update", s.update.update)], metadata: [
                        "round": "\(record.round)", "client": s.client, "samples": "\(s.update.sampleCount)",
                        "sha256": Digest.hex(s.updateDigest), "base_model_sha256": Digest.hex(modelDigest),
                    ], to: path)
                } catch {
                    throw FederationError.cannotWrite(path: path)
                }
            }
        }
        var checkpoint = checkpoint
        checkpoint.ledgerHead = attribution.ledgerHead
        try seals.append(round: record.round, head: checkpoint.ledgerHead)
        try checkpoint.write(directory: directory)
    }

    func writeSummary(_ summary: RunSummary) throws {
        try JSONLines.writeDocument(summary, to: layout.summary)
    }

    /// One progress line per round, then the attribution table, on standard output.
    func printProgress(_ r: RoundRecord, of total: Int, table: String?) {
        var line = String(format: "round %d/%d  clients %d/%d  val acc %.4f  test acc %.4f  test loss %.4f  %.0f ms",
                          r.round, total, r.participants.count, r.participants.count + r.stragglers.count,
                          r.validationAccuracy, r.testAccuracy, r.testLoss, r.durationsMs.total)
        if !r.stragglers.isEmpty { line += "  stragglers: " + r.stragglers.joined(separator: ",") }
        if !r.rejected.isEmpty { line += "  rejected: \(r.rejected.count)" }
        if let flagged = r.flagged {
            line += "  flagged: " + flagged.keys.sorted().map { "\($0)[\(flagged[$0]!.map { $0.prefix { $0 != "(" } }.joined(separator: ","))]" }.joined(separator: " ")
        }
        if let a = r.aggregation {
            if let fallback = a.fallback { line += "  fallback \(a.applied): \(fallback)" }
            let left = a.dropped.map(\.client)
            if !left.isEmpty { line += "  left out: " + left.joined(separator: ",") }
        }
        var out = line + "\n"
        if let table { out += table + "\n" }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
