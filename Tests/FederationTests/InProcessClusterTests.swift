import Foundation
import Logging
import Testing
@testable import Federation
import PKI
import Wire
import Learning

/// The same Coordinator and Client code in one process over inproc://.
@Suite(.serialized) struct InProcessClusterTests {
    func config(out: String, extra: [String: String] = [:]) throws -> CoordinatorConfig {
        var flags = ["clients": "3", "rounds": "3", "dataset": "synthetic", "synthetic-count": "1800", "validation-size": "200",
                     "test-size": "300", "model": "mlp:16", "out": out, "listen": "inproc://test", "round-deadline": "30"]
        flags.merge(extra) { $1 }
        var config = try CoordinatorConfig(settings: Settings(flags: flags, environment: [:]))
        config.printsProgress = false
        return config
    }

    var logger: Logger {
        var l = Logger(label: "test")
        l.logLevel = .error
        return l
    }

    @Test(.timeLimit(.minutes(4))) func archivedUpdatesAreSafetensorsWhoseDigestsTheLedgerRecords() throws {
        let out = ProcessHarness.temporaryDirectory("archive") + "/run"
        let summary = try InProcessCluster.run(config: config(out: out, extra: ["archive-updates": "true"]), logger: logger)
        #expect(summary.rounds == 3)
        let ledger = ProcessHarness.jsonLines(out + "/ledger.jsonl")
        #expect(ledger.count == 3)
        var checked = 0
        for record in ledger {
            let round = record["round"] as! Int
            for entry in record["entries"] as! [[String: Any]] {
                let client = entry["client"] as! String
                let path = "\(out)/updates/round-\(String(format: "%04d", round))-\(client).safetensors"
                let (tensors, metadata) = try SafeTensors.read(path)
                let update = try #require(tensors["update"])
                #expect(Digest.hex(Digest.sha256(WireCodec.tensorBytes(update))) == entry["update_digest"] as? String)
                #expect(metadata["round"] == "\(round)" && metadata["client"] == client)
                checked += 1
            }
        }
        #expect(checked == 9)
        // Each round times its detectors apart, as part of the aggregate phase (docs/OUTPUTS.md).
        for round in ProcessHarness.jsonLines(out + "/rounds.jsonl") {
            let durations = try #require(round["durations_ms"] as? [String: Any])
            let detect = try #require(durations["detect"] as? Double, "round \(round["round"] ?? "?") has no durations_ms.detect")
            let aggregate = try #require(durations["aggregate"] as? Double)
            #expect(detect >= 0 && detect <= aggregate)
        }
        // Python reads the archive with nothing but the standard library (safetensors' layout): the tensor's bytes hash
        // to the digest the ledger holds for that update.
        let script = """
        import hashlib, json, struct, sys
        b = open(sys.argv[1], 'rb').read()
        n = struct.unpack('<Q', b[:8])[0]
        h = json.loads(b[8:8 + n])
        s, e = h['update']['data_offsets']
        assert h['update']['dtype'] == 'F32', h['update']['dtype']
        data = b[8 + n + s:8 + n + e]
        print(h['__metadata__']['client'], len(data) // 4, h['update']['shape'][0], hashlib.sha256(data).hexdigest())
        """
        let text = try Tool.python(["-c", script, "\(out)/updates/round-0002-client-1.safetensors"])
        let entry = try #require((ledger[1]["entries"] as? [[String: Any]])?.first { $0["client"] as? String == "client-1" })
        let digest = try #require(entry["update_digest"] as? String)
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "client-1 12730 12730 \(digest)")
    }

    @Test(.timeLimit(.minutes(4))) func sameSeedsGiveABitIdenticalFederationAndAttribution() throws {
        let a = ProcessHarness.temporaryDirectory("det-a") + "/run"
        let b = ProcessHarness.temporaryDirectory("det-b") + "/run"
        _ = try InProcessCluster.run(config: config(out: a), logger: logger)
        _ = try InProcessCluster.run(config: config(out: b), logger: logger)
        #expect(ProcessHarness.read(a + "/attribution.jsonl") == ProcessHarness.read(b + "/attribution.jsonl"))
        let strip = { (path: String) in ProcessHarness.jsonLines(path).map { r in
            ["validation_accuracy", "test_loss", "utility_after", "sample_counts"].map { "\(r[$0] ?? "-")" }.joined(separator: " ")
        } }
        #expect(strip(a + "/rounds.jsonl") == strip(b + "/rounds.jsonl"))
        let c = ProcessHarness.temporaryDirectory("det-c") + "/run"
        _ = try InProcessCluster.run(config: config(out: c, extra: ["seed": "2"]), logger: logger)
        #expect(ProcessHarness.read(a + "/attribution.jsonl") != ProcessHarness.read(c + "/attribution.jsonl"),
                "another seed gives another run")
    }

    /// Scoring and recording round r while round r+1 trains changes when the work happens, not what it computes.
    @Test(.timeLimit(.minutes(4))) func overlappedBookkeepingGivesTheSameRunAsSequentialRounds() throws {
        let overlapped = ProcessHarness.temporaryDirectory("overlap-a") + "/run"
        let sequential = ProcessHarness.temporaryDirectory("overlap-b") + "/run"
        let extra = ["rounds": "4", "evaluators": "loo,shapley-exact,mr-shapley", "detectors": "norm,history"]
        var configA = try config(out: overlapped, extra: extra)
        configA.bookkeepingDelay = 0.3  // each round's bookkeeping then runs after the next round's aggregation
        let configB = try config(out: sequential, extra: extra.merging(["overlap-rounds": "false"]) { $1 })
        #expect(configA.overlapRounds && !configB.overlapRounds)
        let a = try InProcessCluster.run(config: configA, logger: logger)
        let b = try InProcessCluster.run(config: configB, logger: logger)
        #expect(a.rounds == 4 && b.rounds == 4)
        #expect((a.roundsSeconds ?? 0) > 0 && (a.roundsSeconds ?? .infinity) <= a.seconds)
        #expect(ProcessHarness.read(overlapped + "/attribution.jsonl") == ProcessHarness.read(sequential + "/attribution.jsonl"))
        #expect(ProcessHarness.read(overlapped + "/detections.jsonl") == ProcessHarness.read(sequential + "/detections.jsonl"))
        let strip = { (path: String) in ProcessHarness.jsonLines(path).map { r in
            ["round", "validation_accuracy", "test_loss", "utility_after", "participants", "sample_counts"].map { "\(r[$0] ?? "-")" }.joined(separator: " ")
        } }
        #expect(strip(overlapped + "/rounds.jsonl") == strip(sequential + "/rounds.jsonl"))
        #expect(try RunCheckpoint.read(directory: overlapped).parameters == RunCheckpoint.read(directory: sequential).parameters)
        #expect(try RunCheckpoint.read(directory: overlapped).evaluatorStates == RunCheckpoint.read(directory: sequential).evaluatorStates)
        for run in [overlapped, sequential] {
            let audit = try AuditVerifier.audit(directory: run, caFile: run + "/ca.crt", clientLogs: [])
            #expect(audit.ledger.records == 4 && audit.seals.sealedRecords == 4 && audit.efficientRounds == 4, "\(run)")
        }
    }

    @Test(.timeLimit(.minutes(4))) func float16TasksStillTrainTheModel() throws {
        let out = ProcessHarness.temporaryDirectory("f16") + "/run"
        let config = try config(out: out, extra: ["float16": "true", "rounds": "4"])
        let summary = try InProcessCluster.run(config: config, logger: logger)
        let rounds = ProcessHarness.jsonLines(out + "/rounds.jsonl")
        #expect(rounds.count == 4 && rounds.allSatisfy { ($0["participants"] as? [String])?.count == 3 })
        #expect((summary.finalTestAccuracy ?? 0) > 0.5, "synthetic data is learnable: \(summary.finalTestAccuracy ?? 0)")
        // The clients trained from float16 models: every round's signed base model is the float16 rounding of the model
        // before it (round 1: of the initial model), which differs from the float32 model itself.
        let ledger = ProcessHarness.jsonLines(out + "/ledger.jsonl")
        try #require(ledger.count == 4)
        let initial = Model(spec: config.spec.modelSpec, seed: config.modelSeed).parameters
        let rounded = WireCodec.quantized(initial, as: .float16)
        try #require(rounded != initial)
        #expect(ledger[0]["model_digest"] as? String == Digest.hex(Digest.sha256(WireCodec.tensorBytes(rounded))))
        for r in 1..<4 {
            #expect(ledger[r]["model_digest"] as? String != ledger[r - 1]["next_model_digest"] as? String,
                    "round \(r + 1) starts from the float16 rounding of round \(r)'s model")
        }
    }
}
