import Testing
@testable import Wire

/// Bytes written by hand from docs/PROTOCOL.md (CRC values from Python's zlib.crc32), so spec and code cannot drift.
@Suite struct GoldenBytesTests {
    /// PROTOCOL.md, worked example 1.
    static let probeBytes: [UInt8] = [
        0x46, 0x44, 0x41, 0x54,                          // magic 'FDAT'
        0x02, 0x00,                                      // version 2
        0x01, 0x00,                                      // type 1 = probe
        0x00, 0x00,                                      // flags
        0x00, 0x00,                                      // reserved
        0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // round 7
        0x26, 0x00, 0x00, 0x00,                          // body length 38
        0x79, 0x02, 0x58, 0x9F,                          // CRC-32 0x9F580279
    ] + Array(0x00...0x1F) + [                           // nonce 00 01 .. 1f
        0x02, 0x00, 0x00, 0x00, 0x7B, 0x7D,              // spec "{}"
    ]

    /// PROTOCOL.md, worked example 2 (float16 tensor).
    static let updateBytes: [UInt8] = [
        0x46, 0x44, 0x41, 0x54, 0x02, 0x00,              // magic, version 2
        0x04, 0x00,                                      // type 4 = update
        0x01, 0x00,                                      // flags: float16
        0x00, 0x00,
        0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // round 3
        0x6F, 0x00, 0x00, 0x00,                          // body length 111
        0xF3, 0x81, 0x1A, 0x71,                          // CRC-32 0x711A81F3
    ] + [UInt8](repeating: 0x11, count: 32) + [          // nonce
        0x08, 0x00, 0x00, 0x00, 0x63, 0x6C, 0x69, 0x65, 0x6E, 0x74, 0x2D, 0x30,  // clientID "client-0"
        0x02, 0x00, 0x00, 0x00, 0xC0, 0xDE,              // certificateDER c0 de
        0x58, 0x02, 0x00, 0x00,                          // sampleCount 600
        0x00, 0x00, 0x80, 0x3E,                          // trainLoss 0.25
    ] + [UInt8](repeating: 0xAB, count: 32) + [          // baseModelDigest
        0x02,                                            // tensor encoding float16
        0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // count 3
        0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38,              // 1.0, -2.0, 0.5
        0x02, 0x00, 0x00, 0x00, 0x30, 0x00,              // signature 30 00
    ]

    static let probe = ProbeMessage(round: 7, nonce: Array(0x00...0x1F), spec: "{}")
    static let update = UpdateMessage(round: 3, nonce: [UInt8](repeating: 0x11, count: 32), clientID: "client-0",
                                      certificateDER: [0xC0, 0xDE], sampleCount: 600, trainLoss: 0.25,
                                      baseModelDigest: [UInt8](repeating: 0xAB, count: 32), update: [1.0, -2.0, 0.5],
                                      signature: [0x30, 0x00])

    @Test func probeEncodesToTheDocumentedBytes() throws {
        #expect(Self.probeBytes.count == 28 + 38)
        #expect(WireCodec.encode(.probe(Self.probe)) == Self.probeBytes)
        #expect(try WireCodec.decode(Self.probeBytes) == .probe(Self.probe))
    }

    @Test func float16UpdateEncodesToTheDocumentedBytes() throws {
        #expect(Self.updateBytes.count == 28 + 111)
        #expect(WireCodec.encode(.update(Self.update), encoding: .float16) == Self.updateBytes)
        #expect(try WireCodec.decode(Self.updateBytes) == .update(Self.update))
    }

    @Test func float32TensorLayout() throws {
        let bytes = WireCodec.encode(.update(Self.update), encoding: .float32)
        // The tensor starts after nonce(32) clientID(12) cert(6) samples(4) loss(4) digest(32) = body offset 90.
        let tensor = Array(bytes[(28 + 90)..<(28 + 90 + 1 + 8 + 12)])
        #expect(tensor == [0x01, 0x03, 0, 0, 0, 0, 0, 0, 0,
                           0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x3F])
        #expect(bytes[8] == 0)
    }

    @Test func registerSigningBytes() {
        let nonce = [UInt8](repeating: 0x11, count: 32)
        let expected: [UInt8] = Array("fedattr/register/v1".utf8) + [0x00] + nonce
            + [0x08, 0x00, 0x00, 0x00] + Array("client-0".utf8)
        #expect(expected.count == 20 + 32 + 4 + 8)
        #expect(RegisterMessage.signingBytes(nonce: nonce, clientID: "client-0") == expected)
        let message = RegisterMessage(round: 1, nonce: nonce, clientID: "client-0", certificateDER: [1])
        #expect(message.signingBytes == expected)
    }

    @Test func updateSigningBytes() {
        let nonce = [UInt8](repeating: 0x11, count: 32)
        let base = [UInt8](repeating: 0xAB, count: 32)
        let digest = [UInt8](repeating: 0xCD, count: 32)
        let expected: [UInt8] = Array("fedattr/update/v1".utf8) + [0x00] + nonce
            + [0x03, 0, 0, 0, 0, 0, 0, 0]
            + [0x08, 0x00, 0x00, 0x00] + Array("client-0".utf8)
            + [0x58, 0x02, 0x00, 0x00]
            + base + digest
        #expect(expected.count == 18 + 32 + 8 + 12 + 4 + 64)
        #expect(UpdateMessage.signingBytes(nonce: nonce, round: 3, clientID: "client-0", sampleCount: 600,
                                           baseModelDigest: base, updateDigest: digest) == expected)
        #expect(Self.update.signingBytes(updateDigest: digest) == expected)
    }

    @Test func ledgerSealSigningBytes() {
        let head = [UInt8](repeating: 0xCD, count: 32)
        let expected: [UInt8] = Array("fedattr/ledger-seal/v1".utf8) + [0x00] + [0x04, 0, 0, 0, 0, 0, 0, 0] + head
        #expect(expected.count == 63)
        #expect(LedgerSeal.signingBytes(round: 4, head: head) == expected)
    }

    /// PROTOCOL.md §4.4: the ledger fields sit between the spec and the tensor.
    @Test func taskLedgerFieldsLayout() throws {
        let seal: [UInt8] = [0x30, 0x01, 0x02]
        let task = TaskMessage(round: 5, nonce: [UInt8](repeating: 0x11, count: 32), deadlineMillis: 1000,
                               hyperparameters: Hyperparameters(epochs: 1, batchSize: 1, learningRate: 0.1, momentum: 0, weightDecay: 0, seed: 0),
                               spec: "{}", ledgerRound: 4, ledgerHead: [UInt8](repeating: 0xCD, count: 32), ledgerSeal: seal,
                               parameters: [1.0])
        let bytes = WireCodec.encode(.task(task))
        let at = 28 + 68 + 2  // body offset 68 + S, S = 2
        #expect(Array(bytes[at..<(at + 8)]) == [0x04, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[(at + 8)..<(at + 40)]) == [UInt8](repeating: 0xCD, count: 32))
        #expect(Array(bytes[(at + 40)..<(at + 47)]) == [0x03, 0, 0, 0] + seal)
        #expect(bytes.count == 28 + 121 + 2 + seal.count + 4)
        #expect(try WireCodec.decode(bytes) == .task(task))
    }

    @Test func crc32MatchesZlibCheckValues() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        // zlib.crc32(bytes(i % 256 for i in range(771))) == 0xA04A5199 (exercises the 8-byte path and the tail)
        let long = (0..<771).map { UInt8($0 % 256) }
        #expect(CRC32.checksum(long) == 0xA04A_5199)
        #expect(long.withUnsafeBytes { CRC32.update(0, $0, folding: false) } == 0xA04A_5199)
    }

    /// The folded CRC (PCLMULQDQ) equals the table-driven one for every length around its block edges, at every
    /// alignment, continued from any CRC, and on a whole model-sized message.
    @Test func foldedCRCMatchesTheTables() throws {
        try #require(CRC32.folds, "this CPU has no PCLMULQDQ: only the tables run here")
        var rng = SystemRandomNumberGenerator()
        let data = (0..<(407_231 + 64)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        data.withUnsafeBytes { all in
            for offset in 0..<16 {
                for length in Array(0..<300) + [1_023, 1_024, 1_025, 4_096 + 7, 407_231] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
                    let seed = UInt32.random(in: 0...UInt32.max, using: &rng)
                    #expect(CRC32.update(seed, slice, folding: true) == CRC32.update(seed, slice, folding: false),
                            "offset \(offset), length \(length)")
                }
            }
        }
        let ones = [UInt8](repeating: 0xFF, count: 64)
        #expect(CRC32.checksum(ones) == ones.withUnsafeBytes { CRC32.update(0, $0, folding: false) })
    }
}
