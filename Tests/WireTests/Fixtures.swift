@testable import Wire

/// Deterministic sample messages for the tests.
enum Fixtures {
    static func nonce(_ seed: UInt8) -> [UInt8] { (0..<32).map { UInt8(truncatingIfNeeded: Int(seed) &+ $0 &* 7) } }

    /// SplitMix64 values in [-2, 2), with a few special values (signed zeros, tiny, float16-subnormal) mixed in.
    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var state = seed
        var out: [Float] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let unit = Float(z >> 40) / Float(1 << 24)
            switch i % 11 {
            case 3: out.append(0)
            case 5: out.append(-0.0)
            case 7: out.append(3e-6 * (unit - 0.5))  // float16 subnormal range
            default: out.append(4 * unit - 2)
            }
        }
        return out
    }

    static let hyperparameters = Hyperparameters(epochs: 2, batchSize: 64, learningRate: 0.05, momentum: 0.9,
                                                 weightDecay: 1e-4, seed: 0xDEAD_BEEF)

    static let probe = ProbeMessage(round: 4, nonce: nonce(1), spec: #"{"model":"mlp","clients":4,"name":"fédération ✓"}"#)

    static let register = RegisterMessage(round: 4, nonce: nonce(1), clientID: "client-3",
                                          certificateDER: (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 13) },
                                          signature: (0..<71).map { UInt8(truncatingIfNeeded: $0 &+ 0x30) })

    static func task(parameters n: Int = 40) -> TaskMessage {
        TaskMessage(round: 12, nonce: nonce(9), deadlineMillis: 30_000, hyperparameters: hyperparameters,
                    spec: #"{"model":"logreg"}"#, ledgerRound: 11, ledgerHead: nonce(77),
                    ledgerSeal: (0..<71).map { UInt8(truncatingIfNeeded: $0 &* 5) }, parameters: values(n, seed: 7))
    }

    static func update(parameters n: Int = 40) -> UpdateMessage {
        UpdateMessage(round: 12, nonce: nonce(9), clientID: "client-0",
                      certificateDER: (0..<120).map { UInt8(truncatingIfNeeded: $0 &* 31) }, sampleCount: 1_500,
                      trainLoss: 0.6931, baseModelDigest: nonce(200), update: values(n, seed: 99),
                      signature: (0..<70).map { UInt8(truncatingIfNeeded: $0 &* 3) })
    }

    static let finish = FinishMessage(round: 20, nonce: nonce(9), reason: "all 20 rounds done ✓", ledgerRound: 20,
                                      ledgerHead: nonce(78), ledgerSeal: (0..<72).map { UInt8(truncatingIfNeeded: $0 &* 7) })

    static var all: [Message] { [.probe(probe), .register(register), .task(task()), .update(update()), .finish(finish)] }

    /// Recomputes body length and CRC after a test edits bytes, so the edit reaches the body parser.
    static func reseal(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        let body = UInt32(b.count - EnvelopeHeader.size)
        for i in 0..<4 { b[20 + i] = UInt8(truncatingIfNeeded: body >> UInt32(8 * i)) }
        let crc = CRC32.checksum(Array(b[0..<24]) + Array(b[EnvelopeHeader.size...]))
        for i in 0..<4 { b[24 + i] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * i)) }
        return b
    }
}
