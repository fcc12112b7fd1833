/// Appends little-endian fields to a growing byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    mutating func u32(_ v: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    mutating func u64(_ v: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    mutating func f32(_ v: Float) { u32(v.bitPattern) }

    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    /// u32 length then the bytes.
    mutating func lengthPrefixed(_ b: [UInt8]) {
        precondition(b.count <= Int(UInt32.max), "field of \(b.count) bytes does not fit a u32 length")
        u32(UInt32(b.count))
        raw(b)
    }

    mutating func string(_ s: String) { lengthPrefixed(Array(s.utf8)) }

    /// encoding u8 ‖ count u64 ‖ values little-endian.
    mutating func tensor(_ values: [Float], encoding: TensorEncoding) {
        u8(encoding.rawValue)
        u64(UInt64(values.count))
        switch encoding {
        case .float32:
            appendFloat32(values)
        case .float16:
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: values.count * 2))
            bytes.withUnsafeMutableBufferPointer { out in
                values.withUnsafeBufferPointer { input in
                    for i in 0..<input.count {
                        let h = HalfFloat.bits(from: input[i])
                        out[start + 2 * i] = UInt8(truncatingIfNeeded: h)
                        out[start + 2 * i + 1] = UInt8(truncatingIfNeeded: h >> 8)
                    }
                }
            }
        }
    }

    mutating func appendFloat32(_ values: [Float]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for v in values { f32(v) }
        #endif
    }
}
