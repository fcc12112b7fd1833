import Foundation
import PKI
import Wire

/// Valid messages of every type, signed by the seed PKI: the fuzzer's starting corpus (regenerated, never committed).
enum SeedCorpus {
    /// The model size of the seed tasks and updates, and of the coordinator limits the fuzzer decodes with.
    static let parameters = 10

    static func messages(_ pki: SeedPKI) throws -> [(name: String, bytes: [UInt8])] {
        let nonce = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 5) }
        let head = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 1) }
        let values: [Float] = (0..<parameters).map { i in i % 3 == 0 ? -0.0 : Float(i) * 0.37 - 1.5 }
        let clientID = pki.client.certificate.commonName
        let clientDER = pki.client.certificate.der
        let spec = #"{"model":"logreg","clients":2,"rounds":3,"name":"fédération ✓"}"#
        let seal = try pki.coordinator.key.sign(LedgerSeal.signingBytes(round: 3, head: head))
        let hyper = Hyperparameters(epochs: 1, batchSize: 32, learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4, seed: 42)

        var out: [(String, [UInt8])] = []
        out.append(("probe", WireCodec.encode(.probe(ProbeMessage(round: 0, nonce: nonce, spec: spec)))))
        var register = RegisterMessage(round: 0, nonce: nonce, clientID: clientID, certificateDER: clientDER)
        register.signature = try pki.client.key.sign(register.signingBytes)
        out.append(("register", WireCodec.encode(.register(register))))
        for encoding in [TensorEncoding.float32, .float16] {
            let sent = WireCodec.quantized(values, as: encoding)
            let task = TaskMessage(round: 4, nonce: nonce, deadlineMillis: 5_000, hyperparameters: hyper, spec: spec, ledgerRound: 3,
                                   ledgerHead: head, ledgerSeal: seal, parameters: sent)
            out.append(("task-\(encoding)", WireCodec.encode(.task(task), encoding: encoding)))
            var update = UpdateMessage(round: 4, nonce: nonce, clientID: clientID, certificateDER: clientDER, sampleCount: 600,
                                       trainLoss: 0.69, baseModelDigest: Digest.sha256(WireCodec.tensorBytes(sent)), update: sent)
            update.signature = try pki.client.key.sign(update.signingBytes(updateDigest: Digest.sha256(WireCodec.tensorBytes(sent))))
            out.append(("update-\(encoding)", WireCodec.encode(.update(update), encoding: encoding)))
        }
        let empty = UpdateMessage(round: 1, nonce: nonce, clientID: clientID, certificateDER: [0x30, 0x00], sampleCount: 0,
                                  trainLoss: 0, baseModelDigest: head, update: [], signature: [0x30, 0x00])
        out.append(("update-empty", WireCodec.encode(.update(empty))))
        let finish = FinishMessage(round: 5, nonce: nonce, reason: "all 5 rounds done", ledgerRound: 3, ledgerHead: head, ledgerSeal: seal)
        out.append(("finish", WireCodec.encode(.finish(finish))))
        return out
    }

    /// Writes each seed to `directory/NAME` (created if missing), after checking that `target` accepts each one whole
    /// (decoded, certificate valid, signature verified) except the deliberately unsigned empty update.
    static func write(_ pki: SeedPKI, checkedBy target: WireFuzzTarget, to directory: String) throws -> Int {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let seeds = try messages(pki)
        for seed in seeds {
            if target.accepts(seed.bytes) == (seed.name == "update-empty") {
                fatalError("seed \(seed.name) is not judged as intended: the fuzz target or the seeds are out of date")
            }
            try Data(seed.bytes).write(to: URL(fileURLWithPath: directory).appendingPathComponent(seed.name))
        }
        return seeds.count
    }
}
