import CCRC32

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the same as zlib's `crc32`: 16-byte blocks folded with
/// carry-less multiplication where the CPU has it (CCRC32), slicing-by-8 tables otherwise and for the last bytes.
enum CRC32 {
    /// Whether this CPU folds blocks with PCLMULQDQ.
    static let folds = fedattr_crc32_fold_available() != 0

    /// Eight 256-entry tables back to back: entry `k * 256 + b`.
    static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = table[(k - 1) * 256 + i]
                table[k * 256 + i] = (prev >> 8) ^ table[Int(prev & 0xFF)]
            }
        }
        return table
    }()

    /// Continues a CRC; start with `update(0, ...)`. Equivalent to `zlib.crc32(bytes, crc)`. `folding: false` uses the
    /// tables alone (tests compare both).
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer, folding: Bool = folds) -> UInt32 {
        var c = ~crc
        let count = bytes.count
        var i = 0
        if folding, count >= 64, let base = bytes.baseAddress {
            i = count & ~15
            c = fedattr_crc32_fold(c, base.assumingMemoryBound(to: UInt8.self), i)
        }
        table.withUnsafeBufferPointer { t in
            while count - i >= 8 {
                let lo = c ^ (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
                let hi = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                  ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                  ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                  ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < count {
                c = t[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}
