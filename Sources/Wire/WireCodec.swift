/// Encodes messages into the versioned envelope of docs/PROTOCOL.md and decodes them back, validating everything.
public enum WireCodec {
    /// The protocol version this codec writes and accepts.
    public static let version: UInt16 = 2
    /// Nonces and digests are 32 bytes.
    public static let fixedFieldSize = 32

    /// Envelope + body. `encoding` applies to the tensor of task and update messages (ignored for the others).
    /// Nonces and digests must be 32 bytes (check with `validate` first if unsure); other limits are checked by the decoder.
    public static func encode(_ message: Message, encoding: TensorEncoding = .float32) -> [UInt8] {
        let tensorCount: Int
        switch message {
        case .task(let m): tensorCount = m.parameters.count
        case .update(let m): tensorCount = m.update.count
        default: tensorCount = 0
        }
        var w = ByteWriter(capacity: EnvelopeHeader.size + 512 + tensorCount * encoding.width)
        let hasTensor = message.type == .task || message.type == .update
        w.raw(EnvelopeHeader.magic)
        w.u16(version)
        w.u16(message.type.rawValue)
        w.u16(hasTensor && encoding == .float16 ? EnvelopeHeader.float16Flag : 0)
        w.u16(0)
        w.u64(message.round)
        w.u32(0)  // body length, patched below
        w.u32(0)  // CRC, patched below

        switch message {
        case .probe(let m):
            fixed(&w, m.nonce, "nonce")
            w.string(m.spec)
        case .register(let m):
            fixed(&w, m.nonce, "nonce")
            w.string(m.clientID)
            w.lengthPrefixed(m.certificateDER)
            w.lengthPrefixed(m.signature)
        case .task(let m):
            fixed(&w, m.nonce, "nonce")
            w.u32(m.deadlineMillis)
            w.u32(m.hyperparameters.epochs)
            w.u32(m.hyperparameters.batchSize)
            w.f32(m.hyperparameters.learningRate)
            w.f32(m.hyperparameters.momentum)
            w.f32(m.hyperparameters.weightDecay)
            w.u64(m.hyperparameters.seed)
            w.string(m.spec)
            w.u64(m.ledgerRound)
            fixed(&w, m.ledgerHead, "ledgerHead")
            w.lengthPrefixed(m.ledgerSeal)
            w.tensor(m.parameters, encoding: encoding)
        case .update(let m):
            fixed(&w, m.nonce, "nonce")
            w.string(m.clientID)
            w.lengthPrefixed(m.certificateDER)
            w.u32(m.sampleCount)
            w.f32(m.trainLoss)
            fixed(&w, m.baseModelDigest, "baseModelDigest")
            w.tensor(m.update, encoding: encoding)
            w.lengthPrefixed(m.signature)
        case .finish(let m):
            fixed(&w, m.nonce, "nonce")
            w.string(m.reason)
            w.u64(m.ledgerRound)
            fixed(&w, m.ledgerHead, "ledgerHead")
            w.lengthPrefixed(m.ledgerSeal)
        }

        let bodyLength = w.bytes.count - EnvelopeHeader.size
        precondition(bodyLength <= Int(UInt32.max), "message body of \(bodyLength) bytes exceeds the u32 length field")
        put32(&w.bytes, at: 20, UInt32(bodyLength))
        put32(&w.bytes, at: 24, checksum(w.bytes))
        return w.bytes
    }

    /// CRC-32 of header bytes 0..<24 followed by the body.
    static func checksum(_ message: [UInt8]) -> UInt32 {
        message.withUnsafeBytes { all in
            CRC32.update(CRC32.update(0, UnsafeRawBufferPointer(rebasing: all[0..<24])),
                         UnsafeRawBufferPointer(rebasing: all[EnvelopeHeader.size...]))
        }
    }

    /// Parses and validates a whole message: header, exact length, CRC, every field, tensor limits and finiteness.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = .init()) throws(WireError) -> Message {
        let header = try EnvelopeHeader(parsing: bytes)
        let declared = EnvelopeHeader.size + Int(header.bodyLength)
        guard bytes.count >= declared else { throw .truncated(expected: declared, got: bytes.count) }
        guard bytes.count == declared else { throw .lengthMismatch(declared: declared, actual: bytes.count) }
        let crc = checksum(bytes)
        guard crc == header.checksum else { throw .checksumMismatch(stored: header.checksum, computed: crc) }

        var r = ByteReader(bytes, from: EnvelopeHeader.size, to: declared)
        let flag = header.tensorEncoding
        let message: Message
        switch header.type {
        case .probe:
            let nonce = try r.fixed(fixedFieldSize, field: "nonce")
            let spec = try r.string("spec", max: DecodeLimits.maxSpecBytes)
            message = .probe(ProbeMessage(round: header.round, nonce: nonce, spec: spec))
        case .register:
            let nonce = try r.fixed(fixedFieldSize, field: "nonce")
            let clientID = try r.clientID("clientID")
            let certificate = try r.lengthPrefixed("certificateDER", max: DecodeLimits.maxCertificateBytes)
            let signature = try r.lengthPrefixed("signature", max: DecodeLimits.maxSignatureBytes)
            message = .register(RegisterMessage(round: header.round, nonce: nonce, clientID: clientID,
                                                certificateDER: certificate, signature: signature))
        case .task:
            let nonce = try r.fixed(fixedFieldSize, field: "nonce")
            let deadline = try r.u32("deadlineMillis")
            let hyper = Hyperparameters(
                epochs: try r.u32("epochs"),
                batchSize: try r.u32("batchSize"),
                learningRate: try r.finiteF32("learningRate"),
                momentum: try r.finiteF32("momentum"),
                weightDecay: try r.finiteF32("weightDecay"),
                seed: try r.u64("seed"))
            let spec = try r.string("spec", max: DecodeLimits.maxSpecBytes)
            let ledgerRound = try r.u64("ledgerRound")
            let ledgerHead = try r.fixed(fixedFieldSize, field: "ledgerHead")
            let ledgerSeal = try r.lengthPrefixed("ledgerSeal", max: DecodeLimits.maxSignatureBytes)
            let parameters = try r.tensor("parameters", flag: flag, limits: limits)
            message = .task(TaskMessage(round: header.round, nonce: nonce, deadlineMillis: deadline,
                                        hyperparameters: hyper, spec: spec, ledgerRound: ledgerRound, ledgerHead: ledgerHead,
                                        ledgerSeal: ledgerSeal, parameters: parameters))
        case .update:
            let nonce = try r.fixed(fixedFieldSize, field: "nonce")
            let clientID = try r.clientID("clientID")
            let certificate = try r.lengthPrefixed("certificateDER", max: DecodeLimits.maxCertificateBytes)
            let samples = try r.u32("sampleCount")
            let loss = try r.finiteF32("trainLoss")
            let base = try r.fixed(fixedFieldSize, field: "baseModelDigest")
            let update = try r.tensor("update", flag: flag, limits: limits)
            let signature = try r.lengthPrefixed("signature", max: DecodeLimits.maxSignatureBytes)
            message = .update(UpdateMessage(round: header.round, nonce: nonce, clientID: clientID,
                                            certificateDER: certificate, sampleCount: samples, trainLoss: loss,
                                            baseModelDigest: base, update: update, signature: signature))
        case .finish:
            let nonce = try r.fixed(fixedFieldSize, field: "nonce")
            let reason = try r.string("reason", max: DecodeLimits.maxSpecBytes)
            let ledgerRound = try r.u64("ledgerRound")
            let ledgerHead = try r.fixed(fixedFieldSize, field: "ledgerHead")
            let ledgerSeal = try r.lengthPrefixed("ledgerSeal", max: DecodeLimits.maxSignatureBytes)
            message = .finish(FinishMessage(round: header.round, nonce: nonce, reason: reason, ledgerRound: ledgerRound,
                                            ledgerHead: ledgerHead, ledgerSeal: ledgerSeal))
        }
        guard r.remaining == 0 else { throw .trailingBodyBytes(count: r.remaining) }
        return message
    }

    /// Checks a message against what the decoder would reject: fixed-field sizes, client id and field limits, tensor limits, finiteness.
    public static func validate(_ message: Message, limits: DecodeLimits = .init()) throws(WireError) {
        func size(_ bytes: [UInt8], _ field: String) throws(WireError) {
            guard bytes.count == fixedFieldSize else { throw .badFieldSize(field: field, expected: fixedFieldSize, found: bytes.count) }
        }
        func clientID(_ id: String) throws(WireError) {
            let n = id.utf8.count
            guard n >= 1, n <= DecodeLimits.maxClientIDBytes else { throw .invalidClientID(length: n) }
        }
        func length(_ n: Int, _ field: String, _ max: Int) throws(WireError) {
            guard n <= max else { throw .fieldTooLong(field: field, length: n, max: max) }
        }
        func finite(_ v: Float, _ field: String) throws(WireError) {
            guard v.isFinite else { throw .nonFiniteScalar(field: field) }
        }
        func tensor(_ values: [Float]) throws(WireError) {
            guard values.count <= limits.maxParameters else {
                throw .tooManyParameters(count: UInt64(values.count), max: limits.maxParameters)
            }
            if let expected = limits.expectedParameters, expected != values.count {
                throw .parameterCountMismatch(expected: expected, found: values.count)
            }
            if let i = values.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(index: i) }
        }
        switch message {
        case .probe(let m):
            try size(m.nonce, "nonce")
            try length(m.spec.utf8.count, "spec", DecodeLimits.maxSpecBytes)
        case .register(let m):
            try size(m.nonce, "nonce")
            try clientID(m.clientID)
            try length(m.certificateDER.count, "certificateDER", DecodeLimits.maxCertificateBytes)
            try length(m.signature.count, "signature", DecodeLimits.maxSignatureBytes)
        case .task(let m):
            try size(m.nonce, "nonce")
            try finite(m.hyperparameters.learningRate, "learningRate")
            try finite(m.hyperparameters.momentum, "momentum")
            try finite(m.hyperparameters.weightDecay, "weightDecay")
            try length(m.spec.utf8.count, "spec", DecodeLimits.maxSpecBytes)
            try size(m.ledgerHead, "ledgerHead")
            try length(m.ledgerSeal.count, "ledgerSeal", DecodeLimits.maxSignatureBytes)
            try tensor(m.parameters)
        case .update(let m):
            try size(m.nonce, "nonce")
            try clientID(m.clientID)
            try length(m.certificateDER.count, "certificateDER", DecodeLimits.maxCertificateBytes)
            try finite(m.trainLoss, "trainLoss")
            try size(m.baseModelDigest, "baseModelDigest")
            try tensor(m.update)
            try length(m.signature.count, "signature", DecodeLimits.maxSignatureBytes)
        case .finish(let m):
            try size(m.nonce, "nonce")
            try length(m.reason.utf8.count, "reason", DecodeLimits.maxSpecBytes)
            try size(m.ledgerHead, "ledgerHead")
            try length(m.ledgerSeal.count, "ledgerSeal", DecodeLimits.maxSignatureBytes)
        }
    }

    /// Little-endian float32 bytes of `values`: exactly what model and update digests are taken over.
    public static func tensorBytes(_ values: [Float]) -> [UInt8] {
        var w = ByteWriter(capacity: values.count * 4)
        w.appendFloat32(values)
        return w.bytes
    }

    /// The values a receiver will decode after sending `values` with `encoding` (float16 rounds; float32 is exact).
    /// Senders of float16 tensors take digests over these.
    public static func quantized(_ values: [Float], as encoding: TensorEncoding) -> [Float] {
        switch encoding {
        case .float32: values
        case .float16: values.map { HalfFloat.value(from: HalfFloat.bits(from: $0)) }
        }
    }

    /// Writes a 32-byte field; a wrong size is a programming error (the framing would break).
    private static func fixed(_ w: inout ByteWriter, _ bytes: [UInt8], _ field: String) {
        precondition(bytes.count == fixedFieldSize, "\(field) must be \(fixedFieldSize) bytes, got \(bytes.count)")
        w.raw(bytes)
    }

    private static func put32(_ bytes: inout [UInt8], at offset: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> UInt32(8 * i)) }
    }
}
