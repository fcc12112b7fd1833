import Testing
@testable import Wire

/// One hostile or malformed input and the exact error the decoder must throw for it.
struct BadInput: Sendable, CustomStringConvertible {
    var description: String
    var bytes: [UInt8]
    var limits = DecodeLimits()
    var expected: WireError
}

/// Byte offsets inside the fixture update's body (see PROTOCOL.md, update body table).
private enum UpdateLayout {
    static let body = 28
    static let clientIDLength = body + 32
    static let certificateLength = clientIDLength + 4 + 8
    static let trainLoss = certificateLength + 4 + 120 + 4
    static let tensor = trainLoss + 4 + 32
}

private func patched(_ bytes: [UInt8], _ edits: [Int: UInt8]) -> [UInt8] {
    var b = bytes
    for (offset, value) in edits { b[offset] = value }
    return b
}

private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> UInt32(8 * $0)) } }

private let update = WireCodec.encode(.update(Fixtures.update(parameters: 16)))
private let probe = WireCodec.encode(.probe(Fixtures.probe))
private let task = WireCodec.encode(.task(Fixtures.task(parameters: 16)))

private func withUpdate(_ change: (inout UpdateMessage) -> Void, _ encoding: TensorEncoding = .float32) -> [UInt8] {
    var m = Fixtures.update(parameters: 16)
    change(&m)
    return WireCodec.encode(.update(m), encoding: encoding)
}

private func withRegister(_ change: (inout RegisterMessage) -> Void) -> [UInt8] {
    var m = Fixtures.register
    change(&m)
    return WireCodec.encode(.register(m))
}

private func badInputs() -> [BadInput] {
    let storedCRC = UInt32(update[24]) | UInt32(update[25]) << 8 | UInt32(update[26]) << 16 | UInt32(update[27]) << 24
    var hugeClientID = update
    hugeClientID.replaceSubrange(UpdateLayout.clientIDLength..<(UpdateLayout.clientIDLength + 4), with: le32(0xFFFF_FFF0))
    let hugeCount = Array(update[..<UpdateLayout.tensor]) + [0x01] + [0, 0, 0, 0, 0, 0, 0, 0x40]  // count 2^62
        + [0, 0, 0, 0]  // an empty signature
    var specBytes = probe
    specBytes[28 + 32 + 4] = 0xFF  // first byte of the spec: never valid UTF-8
    var probeWithFlag = probe
    probeWithFlag[8] = 1
    var finishWithFlag = WireCodec.encode(.finish(Fixtures.finish))
    finishWithFlag[8] = 1

    return [
        BadInput(description: "empty input", bytes: [], expected: .truncated(expected: 28, got: 0)),
        BadInput(description: "header cut at 27 bytes", bytes: Array(update[..<27]), expected: .truncated(expected: 28, got: 27)),
        BadInput(description: "body missing its last byte", bytes: Array(update.dropLast()),
                 expected: .truncated(expected: update.count, got: update.count - 1)),
        BadInput(description: "body length 0xFFFFFFFF", bytes: patched(update, [20: 0xFF, 21: 0xFF, 22: 0xFF, 23: 0xFF]),
                 expected: .truncated(expected: 28 + 0xFFFF_FFFF, got: update.count)),
        BadInput(description: "wrong magic 'GDAT'", bytes: patched(update, [0: 0x47]), expected: .badMagic(found: 0x4744_4154)),
        BadInput(description: "version 1 (before tasks carried the ledger head)", bytes: patched(update, [4: 1]), expected: .unsupportedVersion(1)),
        BadInput(description: "version 3", bytes: patched(update, [4: 3]), expected: .unsupportedVersion(3)),
        BadInput(description: "version 0x0100", bytes: patched(update, [4: 0, 5: 1]), expected: .unsupportedVersion(256)),
        BadInput(description: "type 0", bytes: patched(update, [6: 0]), expected: .unknownType(0)),
        BadInput(description: "type 9", bytes: patched(update, [6: 9]), expected: .unknownType(9)),
        BadInput(description: "flag bit 1", bytes: patched(update, [8: 2]), expected: .unknownFlags(2)),
        BadInput(description: "flag bit 15", bytes: patched(update, [9: 0x80]), expected: .unknownFlags(0x8000)),
        BadInput(description: "float16 flag on a probe", bytes: Fixtures.reseal(probeWithFlag),
                 expected: .flagsNotAllowed(flags: 1, type: .probe)),
        BadInput(description: "float16 flag on a finish", bytes: Fixtures.reseal(finishWithFlag),
                 expected: .flagsNotAllowed(flags: 1, type: .finish)),
        BadInput(description: "reserved 0x0100", bytes: patched(update, [11: 1]), expected: .nonzeroReserved(0x0100)),
        BadInput(description: "one trailing byte", bytes: update + [0], expected: .lengthMismatch(declared: update.count, actual: update.count + 1)),
        BadInput(description: "body byte flipped", bytes: patched(update, [100: update[100] ^ 0x01]),
                 expected: .checksumMismatch(stored: storedCRC,
                                             computed: CRC32.checksum(Array(update[0..<24]) + Array(patched(update, [100: update[100] ^ 0x01])[28...])))),
        BadInput(description: "round byte flipped (header is covered by the CRC)", bytes: patched(update, [12: update[12] ^ 0x01]),
                 expected: .checksumMismatch(stored: storedCRC,
                                             computed: CRC32.checksum(Array(patched(update, [12: update[12] ^ 0x01])[0..<24]) + Array(update[28...])))),
        BadInput(description: "client id length 0xFFFFFFF0", bytes: Fixtures.reseal(hugeClientID),
                 expected: .fieldOverrun(field: "clientID", needed: 0xFFFF_FFF0, remaining: update.count - UpdateLayout.clientIDLength - 4)),
        BadInput(description: "body cut inside the nonce", bytes: Fixtures.reseal(Array(update[..<(28 + 20)])),
                 expected: .fieldOverrun(field: "nonce", needed: 32, remaining: 20)),
        BadInput(description: "three bytes after the signature", bytes: Fixtures.reseal(update + [1, 2, 3]),
                 expected: .trailingBodyBytes(count: 3)),
        BadInput(description: "spec not UTF-8", bytes: Fixtures.reseal(specBytes), expected: .invalidUTF8(field: "spec")),
        BadInput(description: "client id not UTF-8", bytes: withUpdate { _ in }.withPatch(UpdateLayout.clientIDLength + 4, 0xC3),
                 expected: .invalidUTF8(field: "clientID")),
        BadInput(description: "empty client id", bytes: withRegister { $0.clientID = "" }, expected: .invalidClientID(length: 0)),
        BadInput(description: "129-byte client id", bytes: withUpdate { $0.clientID = String(repeating: "x", count: 129) },
                 expected: .invalidClientID(length: 129)),
        BadInput(description: "65537-byte certificate", bytes: withRegister { $0.certificateDER = [UInt8](repeating: 1, count: 65_537) },
                 expected: .fieldTooLong(field: "certificateDER", length: 65_537, max: 65_536)),
        BadInput(description: "1025-byte signature", bytes: withUpdate { $0.signature = [UInt8](repeating: 1, count: 1_025) },
                 expected: .fieldTooLong(field: "signature", length: 1_025, max: 1_024)),
        BadInput(description: "tensor encoding 3", bytes: Fixtures.reseal(patched(update, [UpdateLayout.tensor: 3])),
                 expected: .unknownTensorEncoding(3)),
        BadInput(description: "float16 flag on a float32 tensor", bytes: Fixtures.reseal(patched(update, [8: 1])),
                 expected: .tensorEncodingMismatch(flag: .float16, field: .float32)),
        BadInput(description: "16 values over a limit of 10", bytes: update, limits: DecodeLimits(maxParameters: 10),
                 expected: .tooManyParameters(count: 16, max: 10)),
        BadInput(description: "count 2^62 with default limits", bytes: Fixtures.reseal(hugeCount),
                 expected: .tooManyParameters(count: 1 << 62, max: 50_000_000)),
        BadInput(description: "count 2^62 with no count limit: must not allocate", bytes: Fixtures.reseal(hugeCount),
                 limits: DecodeLimits(maxParameters: .max),
                 expected: .fieldOverrun(field: "update.data", needed: .max, remaining: 4)),
        BadInput(description: "16 values where 15 expected", bytes: update, limits: DecodeLimits(expectedParameters: 15),
                 expected: .parameterCountMismatch(expected: 15, found: 16)),
        BadInput(description: "task with 16 values where 17 expected", bytes: task, limits: DecodeLimits(expectedParameters: 17),
                 expected: .parameterCountMismatch(expected: 17, found: 16)),
        BadInput(description: "NaN at index 5", bytes: withUpdate { $0.update[5] = .nan }, expected: .nonFinite(index: 5)),
        BadInput(description: "-inf at index 0", bytes: withUpdate { $0.update[0] = -.infinity }, expected: .nonFinite(index: 0)),
        BadInput(description: "float16 overflow (70000) at index 9", bytes: withUpdate({ $0.update[9] = 70_000 }, .float16),
                 expected: .nonFinite(index: 9)),
        BadInput(description: "float16 NaN at index 15", bytes: withUpdate({ $0.update[15] = .nan }, .float16),
                 expected: .nonFinite(index: 15)),
        BadInput(description: "infinite train loss", bytes: withUpdate { $0.trainLoss = .infinity },
                 expected: .nonFiniteScalar(field: "trainLoss")),
        BadInput(description: "NaN learning rate", bytes: {
            var m = Fixtures.task(parameters: 4)
            m.hyperparameters.learningRate = .nan
            return WireCodec.encode(.task(m))
        }(), expected: .nonFiniteScalar(field: "learningRate")),
    ]
}

extension Array where Element == UInt8 {
    fileprivate func withPatch(_ offset: Int, _ value: UInt8) -> [UInt8] { Fixtures.reseal(patched(self, [offset: value])) }
}

@Suite struct BadInputTests {
    @Test(arguments: badInputs())
    func decoderRejects(_ input: BadInput) {
        #expect(throws: input.expected) { try WireCodec.decode(input.bytes, limits: input.limits) }
    }

    @Test func validateRejectsWhatTheDecoderWould() {
        var shortNonce = Fixtures.probe
        shortNonce.nonce = [1, 2, 3]
        #expect(throws: WireError.badFieldSize(field: "nonce", expected: 32, found: 3)) { try WireCodec.validate(.probe(shortNonce)) }
        var longDigest = Fixtures.update()
        longDigest.baseModelDigest += [0]
        #expect(throws: WireError.badFieldSize(field: "baseModelDigest", expected: 32, found: 33)) {
            try WireCodec.validate(.update(longDigest))
        }
        var nan = Fixtures.update()
        nan.update[7] = .nan
        #expect(throws: WireError.nonFinite(index: 7)) { try WireCodec.validate(.update(nan)) }
        var noID = Fixtures.register
        noID.clientID = ""
        #expect(throws: WireError.invalidClientID(length: 0)) { try WireCodec.validate(.register(noID)) }
        #expect(throws: WireError.parameterCountMismatch(expected: 3, found: 40)) {
            try WireCodec.validate(.task(Fixtures.task()), limits: DecodeLimits(expectedParameters: 3))
        }
    }

    @Test func errorDescriptionsNameTheValue() {
        #expect(WireError.badMagic(found: 0x1234).description == "bad magic 0x00001234, expected 0x46444154 ('FDAT')")
        #expect(WireError.truncated(expected: 28, got: 3).description == "truncated message: expected 28 bytes, got 3")
        #expect(WireError.nonFinite(index: 42).description == "tensor value at index 42 is not finite")
        #expect(WireError.parameterCountMismatch(expected: 10, found: 11).description == "tensor has 11 values, expected 10")
        #expect(WireError.checksumMismatch(stored: 0xABCD, computed: 1).description
                == "CRC-32 mismatch: header says 0x0000abcd, computed 0x00000001")
    }
}
