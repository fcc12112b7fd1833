/// Why bytes could not be decoded as a message (or why a message is not valid to send); each case names the value found.
public enum WireError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Fewer bytes than the header, or than header + declared body length.
    case truncated(expected: Int, got: Int)
    /// First four bytes, read big-endian (so 'FDAT' is 0x46444154).
    case badMagic(found: UInt32)
    case unsupportedVersion(UInt16)
    case unknownType(UInt16)
    /// Flag bits other than bit 0 set.
    case unknownFlags(UInt16)
    /// The float16 flag on a message type without a tensor.
    case flagsNotAllowed(flags: UInt16, type: MessageType)
    case nonzeroReserved(UInt16)
    /// More bytes than header + declared body length.
    case lengthMismatch(declared: Int, actual: Int)
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// A field (or its declared length) runs past the end of the body.
    case fieldOverrun(field: String, needed: UInt64, remaining: Int)
    /// The body parsed completely but bytes are left over.
    case trailingBodyBytes(count: Int)
    case fieldTooLong(field: String, length: Int, max: Int)
    /// Fixed-size field (nonce, digest) of the wrong size; thrown by `WireCodec.validate`.
    case badFieldSize(field: String, expected: Int, found: Int)
    case invalidUTF8(field: String)
    /// Client IDs must be 1...128 bytes.
    case invalidClientID(length: Int)
    case unknownTensorEncoding(UInt8)
    /// The tensor's encoding byte disagrees with the envelope's float16 flag.
    case tensorEncodingMismatch(flag: TensorEncoding, field: TensorEncoding)
    case tooManyParameters(count: UInt64, max: Int)
    case parameterCountMismatch(expected: Int, found: Int)
    /// Tensor value at `index` is NaN or infinite.
    case nonFinite(index: Int)
    /// A scalar float field is NaN or infinite.
    case nonFiniteScalar(field: String)

    public var description: String {
        switch self {
        case .truncated(let expected, let got):
            "truncated message: expected \(expected) bytes, got \(got)"
        case .badMagic(let found):
            "bad magic \(hex32(found)), expected 0x46444154 ('FDAT')"
        case .unsupportedVersion(let v):
            "unsupported protocol version \(v), this decoder speaks version \(WireCodec.version)"
        case .unknownType(let t):
            "unknown message type \(t) (known: 1 probe, 2 register, 3 task, 4 update)"
        case .unknownFlags(let f):
            "unknown flag bits in \(hex16(f)) (only bit 0, float16 tensor, is defined)"
        case .flagsNotAllowed(let f, let type):
            "flags \(hex16(f)) set on a \(type) message, which carries no tensor"
        case .nonzeroReserved(let r):
            "reserved header field is \(hex16(r)), must be 0"
        case .lengthMismatch(let declared, let actual):
            "message is \(actual) bytes but its header declares \(declared) (trailing bytes)"
        case .checksumMismatch(let stored, let computed):
            "CRC-32 mismatch: header says \(hex32(stored)), computed \(hex32(computed))"
        case .fieldOverrun(let field, let needed, let remaining):
            "field \(field) needs \(needed) bytes but only \(remaining) remain in the body"
        case .trailingBodyBytes(let count):
            "\(count) unexpected bytes after the last field of the body"
        case .fieldTooLong(let field, let length, let max):
            "field \(field) is \(length) bytes, limit \(max)"
        case .badFieldSize(let field, let expected, let found):
            "field \(field) must be \(expected) bytes, found \(found)"
        case .invalidUTF8(let field):
            "field \(field) is not valid UTF-8"
        case .invalidClientID(let length):
            "client id is \(length) bytes, must be 1...\(DecodeLimits.maxClientIDBytes)"
        case .unknownTensorEncoding(let e):
            "unknown tensor encoding \(e) (known: 1 float32, 2 float16)"
        case .tensorEncodingMismatch(let flag, let field):
            "envelope flags say \(flag) but the tensor field says \(field)"
        case .tooManyParameters(let count, let max):
            "tensor has \(count) values, limit \(max)"
        case .parameterCountMismatch(let expected, let found):
            "tensor has \(found) values, expected \(expected)"
        case .nonFinite(let index):
            "tensor value at index \(index) is not finite"
        case .nonFiniteScalar(let field):
            "field \(field) is not finite"
        }
    }
}

private func hex32(_ v: UInt32) -> String {
    let digits = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

private func hex16(_ v: UInt16) -> String {
    let digits = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
}
