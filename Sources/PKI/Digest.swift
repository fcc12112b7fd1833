import CCrypto

/// SHA-256 digests (OpenSSL libcrypto) and their hex form, used for model digests, fingerprints and the ledger's hash chain.
public enum Digest {
    /// The SHA-256 digest of `bytes` (32 bytes).
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { sha256($0) } }

    /// The SHA-256 digest of the bytes in `buffer`.
    public static func sha256(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        out.withUnsafeMutableBufferPointer { output in
            _ = SHA256(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count, output.baseAddress)
        }
        return out
    }

    /// The SHA-256 digest of the UTF-8 bytes of `text`.
    public static func sha256(_ text: String) -> [UInt8] { sha256(Array(text.utf8)) }

    /// Lower-case hexadecimal form of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var chars = [UInt8]()
        chars.reserveCapacity(bytes.count * 2)
        for b in bytes {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }
}
