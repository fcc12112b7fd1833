import Foundation
import PKI

/// The files a coordinator leaves in its output directory: rounds.jsonl, attribution.jsonl, ledger.jsonl,
/// checkpoint.safetensors, summary.json and, on request, updates/round-R-CLIENT.safetensors.
final class RunOutput: @unchecked Sendable {  // used from the coordinator's thread only
    let directory: String
    private let rounds: JSONLines
    private let archiveUpdates: Bool

    init(directory: String, archiveUpdates: Bool) throws {
        self.directory = directory
        self.archiveUpdates = archiveUpdates
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if archiveUpdates {
                try FileManager.default.createDirectory(atPath: directory + "/updates", withIntermediateDirectories: true)
            }
        } catch {
            throw FederationError.cannotWrite(path: directory)
        }
        for stale in ["rounds.jsonl", "summary.json", "checkpoint.safetensors"] {
            try? FileManager.default.removeItem(atPath: directory + "/" + stale)
        }
        rounds = try JSONLines(path: directory + "/rounds.jsonl")
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
                ], to: "\(directory)/updates/round-\(String(format: "%04d", record.round))-\(s.client).safetensors")
            }
        }
        try SafeTensors.write([("parameters", newModel)], metadata: ["round": "\(record.round)"],
                              to: directory + "/checkpoint.safetensors")
    }

    func writeSummary(_ summary: RunSummary) throws {
        try JSONLines.writeDocument(summary, to: directory + "/summary.json")
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
