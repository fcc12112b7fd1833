/// Reads little-endian fields from a byte range, checking every length against the bytes that remain before using it.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int, to end: Int) {
        self.bytes = bytes
        self.offset = start
        self.end = end
    }

    var remaining: Int { end - offset }

    /// Claims `count` bytes and returns where they start.
    mutating func take(_ count: UInt64, field: String) throws(WireError) -> Int {
        guard count <= UInt64(remaining) else { throw .fieldOverrun(field: field, needed: count, remaining: remaining) }
        let start = offset
        offset += Int(count)
        return start
    }

    mutating func u8(_ field: String) throws(WireError) -> UInt8 {
        bytes[try take(1, field: field)]
    }

    mutating func u32(_ field: String) throws(WireError) -> UInt32 {
        let at = try take(4, field: field)
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    mutating func u64(_ field: String) throws(WireError) -> UInt64 {
        let at = try take(8, field: field)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[at + i]) << UInt64(8 * i) }
        return v
    }

    mutating func f32(_ field: String) throws(WireError) -> Float {
        Float(bitPattern: try u32(field))
    }

    /// A finite float.
    mutating func finiteF32(_ field: String) throws(WireError) -> Float {
        let v = try f32(field)
        guard v.isFinite else { throw .nonFiniteScalar(field: field) }
        return v
    }

    mutating func fixed(_ count: Int, field: String) throws(WireError) -> [UInt8] {
        let at = try take(UInt64(count), field: field)
        return Array(bytes[at..<(at + count)])
    }

    /// u32 length then that many bytes, at most `max`.
    mutating func lengthPrefixed(_ field: String, max: Int) throws(WireError) -> [UInt8] {
        let length = try u32(field + ".length")
        let at = try take(UInt64(length), field: field)
        guard Int(length) <= max else { throw .fieldTooLong(field: field, length: Int(length), max: max) }
        return Array(bytes[at..<(at + Int(length))])
    }

    mutating func string(_ field: String, max: Int) throws(WireError) -> String {
        let raw = try lengthPrefixed(field, max: max)
        guard let s = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return s
    }

    mutating func clientID(_ field: String) throws(WireError) -> String {
        let length = try u32(field + ".length")
        let at = try take(UInt64(length), field: field)
        guard length >= 1, Int(length) <= DecodeLimits.maxClientIDBytes else { throw .invalidClientID(length: Int(length)) }
        guard let s = String(validating: bytes[at..<(at + Int(length))], as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return s
    }

    /// encoding u8 ‖ count u64 ‖ data; counts checked against limits and remaining bytes before allocating.
    mutating func tensor(_ field: String, flag: TensorEncoding, limits: DecodeLimits) throws(WireError) -> [Float] {
        let code = try u8(field + ".encoding")
        guard let encoding = TensorEncoding(rawValue: code) else { throw .unknownTensorEncoding(code) }
        guard encoding == flag else { throw .tensorEncodingMismatch(flag: flag, field: encoding) }
        let count = try u64(field + ".count")
        guard count <= UInt64(max(limits.maxParameters, 0)) else {
            throw .tooManyParameters(count: count, max: limits.maxParameters)
        }
        let n = Int(count)
        if let expected = limits.expectedParameters, expected != n {
            throw .parameterCountMismatch(expected: expected, found: n)
        }
        let (size, overflow) = count.multipliedReportingOverflow(by: UInt64(encoding.width))
        let at = try take(overflow ? .max : size, field: field + ".data")
        var badIndex: Int?
        let values = bytes.withUnsafeBufferPointer { input in
            [Float](unsafeUninitializedCapacity: n) { out, initialized in
                switch encoding {
                case .float32:
                    #if _endian(little)
                    if n > 0 {
                        UnsafeMutableRawPointer(out.baseAddress!)
                            .copyMemory(from: input.baseAddress! + at, byteCount: 4 * n)
                    }
                    #else
                    for i in 0..<n {
                        let p = at + 4 * i
                        out[i] = Float(bitPattern: UInt32(input[p]) | UInt32(input[p + 1]) << 8
                            | UInt32(input[p + 2]) << 16 | UInt32(input[p + 3]) << 24)
                    }
                    #endif
                    for i in 0..<n where !out[i].isFinite {
                        badIndex = i
                        break
                    }
                case .float16:
                    for i in 0..<n {
                        let bits = UInt16(input[at + 2 * i]) | UInt16(input[at + 2 * i + 1]) << 8
                        if !HalfFloat.isFinite(bits), badIndex == nil { badIndex = i }
                        out[i] = HalfFloat.value(from: bits)
                    }
                }
                initialized = n
            }
        }
        if let badIndex { throw .nonFinite(index: badIndex) }
        return values
    }
}
