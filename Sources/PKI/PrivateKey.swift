import CCrypto

/// An ECDSA P-256 private key (OpenSSL EVP_PKEY) that signs federation messages and certificates.
/// `@unchecked Sendable`: immutable after init, and OpenSSL 3 allows concurrent signing with one EVP_PKEY.
public final class PrivateKey: @unchecked Sendable {
    let handle: OpaquePointer

    /// Takes ownership of `handle`; rejects keys other than EC P-256.
    init(owning handle: OpaquePointer) throws(PKIError) {
        self.handle = handle
        try Self.requireP256(handle)
    }

    deinit { EVP_PKEY_free(handle) }

    /// A fresh random ECDSA P-256 key.
    public static func generateP256() throws -> PrivateKey {
        OpenSSLErrors.clear()
        guard let key = fedattr_ec_generate_p256() else {
            throw PKIError.keyGenerationFailed(detail: OpenSSLErrors.drain())
        }
        return try PrivateKey(owning: key)
    }

    /// Parses a PEM private key (PKCS#8 "PRIVATE KEY" or traditional "EC PRIVATE KEY"); encrypted keys are refused.
    public init(pem: String) throws {
        let bytes = Array(pem.utf8)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            throw PKIError.emptyInput(what: "private key")
        }
        OpenSSLErrors.clear()
        let bio = MemoryBIO(bytes)
        // A password callback that always fails, so an encrypted key never prompts on the terminal.
        guard let key = PEM_read_bio_PrivateKey(bio.handle, nil, { _, _, _, _ in -1 }, nil) else {
            throw PKIError.malformedPEM(what: "private key", detail: OpenSSLErrors.drain(fallback: "no PEM private key found"))
        }
        handle = key
        try Self.requireP256(key)
    }

    /// Reads a PEM private key from `pemFile` (a bundle with the certificate first also works: the key block is found).
    public convenience init(pemFile: String) throws {
        let bytes = try SecureFile.read(pemFile, what: "private key")
        do {
            try self.init(pem: String(decoding: bytes, as: UTF8.self))
        } catch let error as PKIError {
            throw error.naming(file: pemFile)
        }
    }

    /// The key as unencrypted PEM PKCS#8 ("-----BEGIN PRIVATE KEY-----").
    public var pem: String {
        let bio = MemoryBIO()
        let ok = PEM_write_bio_PKCS8PrivateKey(bio.handle, handle, nil, nil, 0, nil, nil)
        precondition(ok == 1, "PEM_write_bio_PKCS8PrivateKey failed: \(OpenSSLErrors.drain())")
        return bio.string
    }

    /// The public half as DER SubjectPublicKeyInfo.
    public var publicKeyDER: [UInt8] {
        let count = i2d_PUBKEY(handle, nil)
        precondition(count > 0, "i2d_PUBKEY failed: \(OpenSSLErrors.drain())")
        var out = [UInt8](repeating: 0, count: Int(count))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_PUBKEY(handle, &cursor)
        }
        return out
    }

    /// ECDSA over SHA-256 of `message`; the signature is DER (ASN.1 SEQUENCE of r, s), 70–72 bytes.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        OpenSSLErrors.clear()
        guard let context = EVP_MD_CTX_new() else { throw PKIError.signingFailed(detail: "EVP_MD_CTX_new: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, handle) == 1 else {
            throw PKIError.signingFailed(detail: OpenSSLErrors.drain())
        }
        var length = 0
        let sized = message.withUnsafeBufferPointer { EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }
        guard sized == 1, length > 0 else { throw PKIError.signingFailed(detail: OpenSSLErrors.drain()) }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = message.withUnsafeBufferPointer { input in
            signature.withUnsafeMutableBufferPointer { output in
                EVP_DigestSign(context, output.baseAddress, &length, input.baseAddress, input.count)
            }
        }
        guard signed == 1 else { throw PKIError.signingFailed(detail: OpenSSLErrors.drain()) }
        return Array(signature.prefix(length))
    }

    private static func requireP256(_ key: OpaquePointer) throws(PKIError) {
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_EC else {
            let name = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "id \(EVP_PKEY_get_base_id(key))"
            throw .unsupportedKey(found: name)
        }
        var group = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_group_name(key, &group, group.count, &length) == 1 else {
            throw .unsupportedKey(found: "EC key without a named curve")
        }
        let curve = OpenSSLErrors.text(group)
        guard curve == "prime256v1" || curve == "P-256" else { throw .unsupportedKey(found: "EC \(curve)") }
    }
}
