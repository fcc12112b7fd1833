import Testing
@testable import Wire

@Suite struct RoundTripTests {
    @Test(arguments: [TensorEncoding.float32, .float16])
    func everyMessageTypeRoundTrips(encoding: TensorEncoding) throws {
        for message in Fixtures.all {
            let bytes = WireCodec.encode(message, encoding: encoding)
            let decoded = try WireCodec.decode(bytes)
            #expect(decoded.type == message.type)
            #expect(decoded.round == message.round)
            switch (message, decoded) {
            case (.task(let a), .task(let b)):
                #expect(b.parameters == WireCodec.quantized(a.parameters, as: encoding))
                var expected = a
                expected.parameters = b.parameters
                #expect(b == expected)
                try expectClose(b.parameters, a.parameters, encoding)
            case (.update(let a), .update(let b)):
                #expect(b.update == WireCodec.quantized(a.update, as: encoding))
                var expected = a
                expected.update = b.update
                #expect(b == expected)
                try expectClose(b.update, a.update, encoding)
            default:
                #expect(decoded == message)
            }
            // The format is canonical: re-encoding what was decoded gives the same bytes.
            #expect(WireCodec.encode(decoded, encoding: encoding) == bytes)
        }
    }

    /// float32 must be exact; float16 within half an ulp of binary16 (relative 2^-11, absolute 2^-25 near zero).
    private func expectClose(_ got: [Float], _ original: [Float], _ encoding: TensorEncoding) throws {
        try #require(got.count == original.count)
        for (g, o) in zip(got, original) {
            switch encoding {
            case .float32: #expect(g == o)
            case .float16: #expect(abs(g - o) <= max(abs(o) * 0x1p-11, 0x1p-25), "\(o) → \(g)")
            }
        }
    }

    @Test func encodingIsIgnoredForMessagesWithoutTensors() throws {
        let a = WireCodec.encode(.probe(Fixtures.probe), encoding: .float16)
        #expect(a == WireCodec.encode(.probe(Fixtures.probe), encoding: .float32))
        #expect(a[8] == 0 && a[9] == 0)
    }

    @Test func emptyTensorsAndEmptyBlobsRoundTrip() throws {
        var update = Fixtures.update(parameters: 0)
        update.certificateDER = []
        update.signature = []
        let task = TaskMessage(round: .max, nonce: Fixtures.nonce(0), deadlineMillis: .max,
                               hyperparameters: Hyperparameters(epochs: .max, batchSize: 0, learningRate: -0.0,
                                                                momentum: .greatestFiniteMagnitude,
                                                                weightDecay: .leastNonzeroMagnitude, seed: .max),
                               spec: "", parameters: [])
        for message in [Message.update(update), .task(task)] {
            for encoding in TensorEncoding.allCases {
                #expect(try WireCodec.decode(WireCodec.encode(message, encoding: encoding)) == message)
            }
        }
    }

    @Test func headerCarriesTypeRoundAndFlags() throws {
        let bytes = WireCodec.encode(.update(Fixtures.update()), encoding: .float16)
        let header = try EnvelopeHeader(parsing: bytes)
        #expect(header.type == .update)
        #expect(header.round == 12)
        #expect(header.flags == 1)
        #expect(header.tensorEncoding == .float16)
        #expect(Int(header.bodyLength) == bytes.count - 28)
    }

    @Test func expectedParameterCountIsAccepted() throws {
        let bytes = WireCodec.encode(.task(Fixtures.task(parameters: 40)))
        #expect(throws: Never.self) { try WireCodec.decode(bytes, limits: DecodeLimits(maxParameters: 40, expectedParameters: 40)) }
    }

    @Test func validateAcceptsTheFixtures() {
        for message in Fixtures.all {
            #expect(throws: Never.self) { try WireCodec.validate(message) }
        }
    }

    @Test func tensorBytesAreLittleEndianFloat32() {
        #expect(WireCodec.tensorBytes([1.0, -2.0, 0.1]) == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0xCD, 0xCC, 0xCC, 0x3D])
        #expect(WireCodec.tensorBytes([]) == [])
    }
}
