import Testing
@testable import Wire

/// Hostile-input robustness: every corruption is either rejected or decodes to a message that re-encodes to the very same bytes.
@Suite struct MutationTests {
    static let update = UpdateMessage(round: 5, nonce: Fixtures.nonce(3), clientID: "client-7", certificateDER: [1, 2, 3, 4, 5],
                                      sampleCount: 77, trainLoss: 1.25, baseModelDigest: Fixtures.nonce(4),
                                      update: Fixtures.values(12, seed: 5), signature: [9, 8, 7])

    @Test(arguments: [TensorEncoding.float32, .float16])
    func everySingleByteChangeIsRejected(encoding: TensorEncoding) {
        let bytes = WireCodec.encode(.update(Self.update), encoding: encoding)
        var accepted: [Int] = []
        for offset in bytes.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var b = bytes
                b[offset] ^= mask
                if (try? WireCodec.decode(b)) != nil { accepted.append(offset) }
            }
        }
        // The CRC covers header and body, and CRC-32 detects every error confined to 32 consecutive bits.
        #expect(accepted == [])
    }

    @Test(arguments: [TensorEncoding.float32, .float16])
    func everyTruncationIsRejected(encoding: TensorEncoding) {
        let bytes = WireCodec.encode(.update(Self.update), encoding: encoding)
        for length in 0..<bytes.count {
            #expect(throws: WireError.self) { try WireCodec.decode(Array(bytes[..<length])) }
        }
        // Also when the header is re-sealed to declare the shorter body, so the body parser sees the cut.
        for length in 28..<bytes.count {
            #expect(throws: WireError.self) { try WireCodec.decode(Fixtures.reseal(Array(bytes[..<length]))) }
        }
    }

    /// With the CRC recomputed, corruption reaches the field parser: it must never crash, and whatever it accepts must be canonical.
    @Test(arguments: [TensorEncoding.float32, .float16])
    func resealedCorruptionNeverCrashesAndAcceptedBytesAreCanonical(encoding: TensorEncoding) throws {
        let original = WireCodec.encode(.update(Self.update), encoding: encoding)
        var rng = SplitMix(seed: 42)
        var rejected = 0
        var accepted = 0
        for offset in 28..<original.count {
            for mask: UInt8 in [0x01, 0x10, 0x80, 0xFF] {
                var b = original
                b[offset] ^= mask
                b = Fixtures.reseal(b)
                check(b, encoding: encoding, rejected: &rejected, accepted: &accepted)
            }
        }
        for _ in 0..<3_000 {
            var b = original
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                b[28 + Int(rng.next() % UInt64(original.count - 28))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 4 == 0 { b.removeLast(Int(rng.next() % 8)) }
            check(Fixtures.reseal(b), encoding: encoding, rejected: &rejected, accepted: &accepted)
        }
        // Payload bytes (values, certificate, signature, nonce) are free-form, so many flips decode to a different message.
        #expect(rejected > 100)
        #expect(accepted > 100)
    }

    private func check(_ bytes: [UInt8], encoding: TensorEncoding, rejected: inout Int, accepted: inout Int) {
        do {
            let message = try WireCodec.decode(bytes)
            accepted += 1
            #expect(WireCodec.encode(message, encoding: (try? EnvelopeHeader(parsing: bytes))?.tensorEncoding ?? encoding) == bytes)
        } catch {
            rejected += 1
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
