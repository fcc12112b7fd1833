import Adversary
import Foundation
import Learning
import Logging
import Testing
@testable import Federation

/// The injection attacks inside a federation: the public slice they may train a generator on, the attacker
/// accepted over TLS like anyone, and a small end-to-end run where attribution-first raises its Shapley share.
@Suite(.serialized) struct InjectionAttackClusterTests {
    /// The public slice is held by no client and left out of validation; with a train limit it does not change the
    /// clients' pool or the validation set.
    @Test func thePublicSliceIsApartFromShardsAndValidation() throws {
        func splits(_ dataset: String, publicSize: Int) throws -> DataSplits {
            let spec = FederationSpec(dataset: dataset, syntheticCount: 600, trainLimit: 1000, validationSize: 100, publicSize: publicSize,
                                      partition: "dirichlet:0.5", partitionSeed: 3, clients: 4, model: "mlp")
            return try DataSplits(spec: spec, dataDirectory: "/usr/share/datasets/fashion-mnist")
        }
        for dataset in ["synthetic", "fashion-mnist"] {
            let with = try splits(dataset, publicSize: 300), without = try splits(dataset, publicSize: 0)
            #expect(with.publicSet().count == 300 && without.publicSet().count == 0)
            #expect(with.pool.features == without.pool.features && with.partitions == without.partitions)
            #expect(with.validation.features == without.validation.features)
            // Row fingerprints (pixel sums): no public image is one of the clients' images.
            func fingerprints(_ d: Dataset) -> [Float] {
                d.features.withUnsafeBufferPointer { p in (0..<d.count).map { r in (0..<d.featureCount).reduce(0) { $0 + p[r * d.featureCount + $1] } } }
            }
            let pool = Set(fingerprints(with.pool)), publicData = with.publicSet()
            #expect(fingerprints(publicData).filter { pool.contains($0) }.count <= 3, "public images are not the clients' images (\(dataset))")
        }
        let tooBig = FederationSpec(dataset: "fashion-mnist", syntheticCount: 600, trainLimit: 0, validationSize: 100, publicSize: 70_000,
                                    partition: "iid", partitionSeed: 3, clients: 4, model: "mlp")
        #expect(throws: FederationError.self) { try DataSplits(spec: tooBig, dataDirectory: "/usr/share/datasets/fashion-mnist") }
    }

    static func run(_ name: String, attack: String?) throws -> [String: Double] {
        let out = ProcessHarness.temporaryDirectory("inject-\(name)") + "/run"
        var flags = ["clients": "5", "rounds": "4", "dataset": "fashion-mnist", "train-limit": "3000", "validation-size": "300",
                     "test-size": "500", "model": "mlp:32", "partition": "dirichlet:0.3", "out": out, "listen": "inproc://inject-\(name)",
                     "round-deadline": "120", "evaluators": "shapley-exact", "public-size": "1000", "seed": "3"]
        if let attack { flags["attacker"] = "client-1"; flags["attack"] = attack }
        try ProcessHarness.runInProcess(flags, label: "inject")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let rounds = ProcessHarness.jsonLines(out + "/rounds.jsonl")
        #expect(rounds.count == 4 && rounds.allSatisfy { ($0["participants"] as? [String])?.count == 5 })
        return (summary["cumulative_attribution"] as! [String: [String: Double]])["shapley-exact"]!
    }

    /// Paired runs (same seed, Fashion-MNIST, Dirichlet 0.3): the attacker's share of the positive exact-Shapley
    /// total is higher when it injects optimised decoded images of the classes it lacks.
    @Test(.timeLimit(.minutes(4))) func attributionFirstRaisesTheAttackersShapleyShare() throws {
        func share(_ values: [String: Double]) -> Double {
            values["client-1"].map { max($0, 0) }! / values.values.reduce(0) { $0 + max($1, 0) }
        }
        let spec = FederationSpec(dataset: "fashion-mnist", syntheticCount: 10, trainLimit: 3000, validationSize: 300, publicSize: 1000,
                                  partition: "dirichlet:0.3", partitionSeed: 1, clients: 5, model: "mlp:32")
        let publicData = try DataSplits(spec: spec, dataDirectory: "/usr/share/datasets/fashion-mnist").publicSet()
        var generator = VAE(latent: 16, hidden: 64, seed: 1)
        _ = generator.train(on: publicData, epochs: 6, batchSize: 50, learningRate: 3e-3, seed: 2)
        let path = ProcessHarness.temporaryDirectory("inject-gen") + "/gen.safetensors"
        try GeneratorFile.write(generator, to: path)
        let honest = try Self.run("honest", attack: nil)
        let attacked = try Self.run("attack", attack: "attribution-first(generator=\(path);iterations=10)")
        #expect(share(attacked) > share(honest), "honest \(honest) attacked \(attacked)")
    }

    /// A real attacker process over TLS: trains its generator on its shard (it says so), signs, reports its true
    /// sample count and is accepted every round; what it did is in its own log only.
    @Test(.timeLimit(.minutes(4))) func anAttributionFirstProcessIsAcceptedOverTLS() throws {
        let dir = ProcessHarness.temporaryDirectory("inject-up")
        let out = dir + "/run"
        let attack = "attribution-first(generator-epochs=1;iterations=3;batch=8)"
        let up = try ProcessHarness.start(["up", "--out", out, "--attacker", "client-1", "--attack", attack,
                                           "--evaluators", "marginal,shapley-exact", "--public-size", "300"]
                                          + ProcessHarness.smallFederation(clients: 3, rounds: 2), name: "up", logDirectory: dir)
        #expect(ProcessHarness.wait(up, timeout: 200) == 0, "fedattr up failed: \(ProcessHarness.read(dir + "/up.stderr"))")
        let rounds = ProcessHarness.jsonLines(out + "/rounds.jsonl")
        #expect(rounds.count == 2)
        #expect(rounds.allSatisfy { ($0["participants"] as? [String]) == ["client-0", "client-1", "client-2"] && ($0["rejected"] as? [Any])?.isEmpty == true })
        let log = ProcessHarness.read(out + "/logs/client-1.log")
        #expect(log.contains("ADVERSARIAL client") && log.contains("generator=trained-on-shard"))
        for key in ["targets=", "batch=8", "surrogate_before=", "surrogate_after=", "honest_norm=", "update_norm=", "cosine_honest="] {
            #expect(log.contains(key), "attacker log lacks \(key)")
        }
        #expect(!ProcessHarness.read(out + "/coordinator.log").contains("attribution-first"), "the coordinator is not told")
    }
}
