import Attribution
import Foundation
import Learning
import PKI

/// The coordinator's state after its last complete round, in one file (OUT/checkpoint.safetensors): the global model
/// plus metadata — the round, the ledger's head, the pinned client certificates, the federation spec's digest and the
/// state of evaluators that carry state across rounds (mr-shapley, excess-clipped-shapley, class-supported-shapley) — so
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
              let pinsText = metadata["pinned_certificates"] else {
            throw FederationError.cannotRead(path: path, reason: "not a \(format) file (a run from an older version cannot be resumed)")
        }
        guard let pins = (try? JSONSerialization.jsonObject(with: Data(pinsText.utf8))) as? [String: String] else {
            throw FederationError.cannotRead(path: path, reason: "pinned_certificates is not an object of client certificates")
        }
        if let bad = parameters.firstIndex(where: { !$0.isFinite }) {
            throw FederationError.cannotRead(path: path, reason: "parameter \(bad) is \(parameters[bad]), not a finite number")
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
    /// written part of the next round, up to a torn last line) and returns the rounds.jsonl records kept. Every file is
    /// checked first, and the ledger as cut must end at the checkpoint's head: a checkpoint that does not belong to
    /// these files is refused with nothing rewritten.
    func truncateOutputs(directory: String) throws -> [RoundRecord] {
        let run = RunLayout(directory: directory)
        var cuts: [(path: String, contents: Data)] = []
        for path in Self.roundFiles(run) + [run.detections] {
            if let contents = try Self.keptRounds(upTo: round, path: path) { cuts.append((path, contents)) }
        }
        let ledgerContents = try cuts.first { $0.path == run.ledger }?.contents ?? Self.contents(of: run.ledger)
        let ledger = try LedgerVerifier.readLedger(contents: ledgerContents, path: run.ledger)
        let head = ledger.last?.digest ?? LedgerRecord.genesisDigest
        guard head == ledgerHead, ledger.last?.round ?? 0 == round else {
            throw FederationError.cannotRead(path: run.ledger,
                                             reason: "ends at round \(ledger.last?.round ?? 0) with head \(head.prefix(16))… once cut to the checkpoint, but the checkpoint is round \(round) with head \(ledgerHead.prefix(16))… (the checkpoint is not this run's; nothing was changed)")
        }
        let roundsContents = try cuts.first { $0.path == run.rounds }?.contents ?? Self.contents(of: run.rounds, missingIsEmpty: true)
        let decoder = RunJSON.decoder()
        let records = try roundsContents.split(separator: 0x0a).map { try decoder.decode(RoundRecord.self, from: Data($0)) }
        for cut in cuts { try DurableFile.write(cut.contents, to: cut.path) }
        return records
    }

    private static func contents(of path: String, missingIsEmpty: Bool = false) throws -> Data {
        if let data = FileManager.default.contents(atPath: path) { return data }
        if missingIsEmpty && !FileManager.default.fileExists(atPath: path) { return Data() }
        throw FederationError.cannotRead(path: path, reason: "missing or not readable")
    }

    /// Keeps the lines of a JSONL file whose "round" is at most `round`; a torn last line is dropped, a bad line
    /// anywhere else is an error. Rewrites the file (durably) only when something is dropped.
    static func keepRounds(upTo round: Int, path: String) throws {
        if let contents = try keptRounds(upTo: round, path: path) { try DurableFile.write(contents, to: path) }
    }

    /// What `keepRounds` would leave in the file, or nil when it leaves the file as it is (also when there is none).
    static func keptRounds(upTo round: Int, path: String) throws -> Data? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
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
        guard kept.count != lines.count || data.last != 0x0a && !lines.isEmpty else { return nil }
        var out = Data()
        for line in kept {
            out.append(line)
            out.append(0x0a)
        }
        return out
    }
}
