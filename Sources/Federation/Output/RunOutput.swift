import Foundation
import PKI

/// The files a coordinator leaves in its output directory: rounds.jsonl, attribution.jsonl, ledger.jsonl,
/// checkpoint.safetensors, summary.json and, on request, updates/round-R-CLIENT.safetensors.
final class RunOutput: @unchecked Sendable {  // used from the coordinator's thread only
    let directory: String
    let layout: RunLayout
    private let rounds: JSONLines
    private let archiveUpdates: Bool

    init(directory: String, archiveUpdates: Bool) throws {
        self.directory = directory
        layout = RunLayout(directory: directory)
        self.archiveUpdates = archiveUpdates
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if archiveUpdates {
                try FileManager.default.createDirectory(atPath: layout.updates, withIntermediateDirectories: true)
            }
        } catch {
            throw FederationError.cannotWrite(path: directory)
        }
        for stale in [layout.rounds, layout.summary, layout.checkpoint] {
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

    func writeRound(_ record: RoundRecord, scores: RoundScores?, submissions: [SubmissionRecord],
                    refused: [RoundRecord.RejectedMessage], modelDigest: [UInt8],
                    newModel: [Float], attribution: RoundAttribution, aggregation: RoundAggregation.Outcome? = nil) throws {
        rounds.append(record)
        try attribution.record(round: record.round, scores: scores, submissions: submissions, refused: refused,
                               modelDigest: modelDigest, nextModel: newModel, flags: aggregation?.ledgerFlags ?? [],
                               aggregation: aggregation?.ledgerAggregation)
        if archiveUpdates {
            for s in submissions {
                try SafeTensors.write([("update", s.update.update)], metadata: [
                    "round": "\(record.round)", "client": s.client, "samples": "\(s.update.sampleCount)",
                    "sha256": Digest.hex(s.updateDigest), "base_model_sha256": Digest.hex(modelDigest),
                ], to: layout.archivedUpdate(round: record.round, client: s.client))
            }
        }
        try SafeTensors.write([("parameters", newModel)], metadata: ["round": "\(record.round)"],
                              to: layout.checkpoint)
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
