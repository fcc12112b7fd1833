import Attribution
import Foundation
import Learning
import PKI

/// The coordinator's state after its last complete round, in one file (OUT/checkpoint.safetensors): the global model
/// plus metadata — the round, the ledger's head, the pinned client certificates, the federation spec's digest and the
/// state of evaluators that carry state across rounds (mr-shapley, excess-clipped-shapley) — so
/// that `fedattr coordinator --resume` continues right after that round. It is written durably (`DurableFile`) only
/// once the round's lines are in rounds.jsonl, attribution.jsonl and ledger.jsonl; whatever a crash left past it is
/// dropped on resume and that round runs again. Round seeds derive from the round number, so nothing else is needed
/// to repeat it.
struct RunCheckpoint: Equatable {
    static let format = "fedattr-checkpoint-1"

    var round: Int
    var parameters: [Float]
    var ledgerHead: String
    /// Client id → SHA-256 fingerprint of the certificate it first used in this run.
    var pinnedCertificates: [String: String]
    var specDigest: String
    /// Evaluator name → its `StatefulEvaluator.checkpointState()` (absent in checkpoints of older versions).
    var evaluatorStates: [String: String] = [:]

    /// The files that get lines for every round, cut back together on resume and when a round's write is retried.
    static func roundFiles(_ run: RunLayout) -> [String] { [run.rounds, run.attribution, run.ledger, run.ledgerSeals] }

    static func specDigest(_ specJSON: String) -> String { Digest.hex(Digest.sha256(Array(specJSON.utf8))) }

    func write(directory: String) throws {
        let pins = try JSONSerialization.data(withJSONObject: pinnedCertificates, options: [.sortedKeys])
        let states = try JSONSerialization.data(withJSONObject: evaluatorStates, options: [.sortedKeys])
        let data = try SafeTensors.encode([("parameters", parameters)], metadata: [
            "format": Self.format, "round": "\(round)", "ledger_head": ledgerHead, "spec_sha256": specDigest,
            "pinned_certificates": String(decoding: pins, as: UTF8.self), "evaluator_states": String(decoding: states, as: UTF8.self),
        ])
        try DurableFile.write(data, to: RunLayout(directory: directory).checkpoint)
    }

    /// The checkpoint in `directory`; throws when it is missing or not a checkpoint of this format.
    static func read(directory: String) throws -> RunCheckpoint {
        let path = RunLayout(directory: directory).checkpoint
        let tensors: [String: [Float]], metadata: [String: String]
        do { (tensors, metadata) = try SafeTensors.read(path) } catch {
            throw FederationError.cannotRead(path: path, reason: "\(error)")
        }
        guard metadata["format"] == format, let round = metadata["round"].flatMap(Int.init), round >= 0,
              let parameters = tensors["parameters"], let head = metadata["ledger_head"], let spec = metadata["spec_sha256"],
              let pinsData = metadata["pinned_certificates"]?.data(using: .utf8),
              let pins = try JSONSerialization.jsonObject(with: pinsData) as? [String: String] else {
            throw FederationError.cannotRead(path: path, reason: "not a \(format) file (a run from an older version cannot be resumed)")
        }
        var states: [String: String] = [:]
        if let text = metadata["evaluator_states"] {
            guard let decoded = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] else {
                throw FederationError.cannotRead(path: path, reason: "evaluator_states is not an object of evaluator states")
            }
            states = decoded
        }
        return RunCheckpoint(round: round, parameters: parameters, ledgerHead: head, pinnedCertificates: pins, specDigest: spec,
                             evaluatorStates: states)
    }

    /// Cuts rounds.jsonl, attribution.jsonl, detections.jsonl and ledger.jsonl back to the rounds up to this checkpoint's (a crash may have
    /// written part of the next round, up to a torn last line), checks that the ledger ends at the checkpoint's head and
    /// returns the rounds.jsonl records kept.
    func truncateOutputs(directory: String) throws -> [RoundRecord] {
        let run = RunLayout(directory: directory)
        for path in Self.roundFiles(run) + [run.detections] {
            try Self.keepRounds(upTo: round, path: path)
        }
        let ledger = try LedgerVerifier.readLedger(path: run.ledger)
        let head = ledger.last?.digest ?? LedgerRecord.genesisDigest
        guard head == ledgerHead, ledger.last?.round ?? 0 == round else {
            throw FederationError.cannotRead(path: run.ledger,
                                             reason: "ends at round \(ledger.last?.round ?? 0) with head \(head.prefix(16))…, but the checkpoint is round \(round) with head \(ledgerHead.prefix(16))…")
        }
        let decoder = RunJSON.decoder()
        let text = (try? String(contentsOfFile: run.rounds, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try decoder.decode(RoundRecord.self, from: Data($0.utf8)) }
    }

    /// Keeps the lines of a JSONL file whose "round" is at most `round`; a torn last line is dropped, a bad line
    /// anywhere else is an error. Rewrites the file (durably) only when something is dropped.
    static func keepRounds(upTo round: Int, path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let lines = data.split(separator: 0x0a, omittingEmptySubsequences: true)
        var kept: [Data.SubSequence] = []
        for (index, line) in lines.enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let lineRound = object["round"] as? Int else {
                if index == lines.count - 1 { continue }  // torn by a crash while writing
                throw FederationError.cannotRead(path: path, reason: "line \(index + 1) is not a JSON record with a round")
            }
            if lineRound <= round { kept.append(line) }
        }
        guard kept.count != lines.count || data.last != 0x0a && !lines.isEmpty else { return }
        var out = Data()
        for line in kept {
            out.append(line)
            out.append(0x0a)
        }
        try DurableFile.write(out, to: path)
    }
}
