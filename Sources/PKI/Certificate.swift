import CCrypto
import Foundation

/// An X.509 certificate (OpenSSL X509): parsed from PEM or DER, inspected, and used to verify signatures by its key.
/// `@unchecked Sendable`: immutable after init; OpenSSL 3 guards its lazily cached extension data internally.
public final class Certificate: @unchecked Sendable {
    let handle: OpaquePointer

    /// Takes ownership of `handle`.
    init(owning handle: OpaquePointer) { self.handle = handle }

    deinit { X509_free(handle) }

    /// Parses the first PEM "CERTIFICATE" block in `pem` (text before it, and a key after it, are ignored).
    public init(pem: String) throws {
        let bytes = Array(pem.utf8)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            throw PKIError.emptyInput(what: "certificate")
        }
        OpenSSLErrors.clear()
        let bio = MemoryBIO(bytes)
        guard let x509 = PEM_read_bio_X509(bio.handle, nil, nil, nil) else {
            throw PKIError.malformedPEM(what: "certificate", detail: OpenSSLErrors.drain(fallback: "no PEM certificate found"))
        }
        handle = x509
    }

    /// Parses a DER-encoded certificate; trailing bytes after the certificate are an error.
    public init(der: [UInt8]) throws {
        if der.isEmpty { throw PKIError.emptyInput(what: "certificate") }
        OpenSSLErrors.clear()
        var parsed: OpaquePointer? = nil
        var consumed = 0
        der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            parsed = d2i_X509(nil, &cursor, buffer.count)
            if let cursor, let base = buffer.baseAddress { consumed = cursor - base }
        }
        guard let x509 = parsed else {
            throw PKIError.malformedDER(what: "certificate", detail: OpenSSLErrors.drain(fallback: "d2i_X509 failed"))
        }
        guard consumed == der.count else {
            X509_free(x509)
            throw PKIError.malformedDER(what: "certificate", detail: "\(der.count - consumed) trailing bytes after the certificate")
        }
        handle = x509
    }

    /// Reads the first PEM certificate in `pemFile` (a .crt, or a .pem bundle of certificate then key).
    public convenience init(pemFile: String) throws {
        let bytes = try SecureFile.read(pemFile, what: "certificate")
        do {
            try self.init(pem: String(decoding: bytes, as: UTF8.self))
        } catch let error as PKIError {
            throw error.naming(file: pemFile)
        }
    }

    /// The DER encoding.
    public var der: [UInt8] {
        let count = i2d_X509(handle, nil)
        precondition(count > 0, "i2d_X509 failed: \(OpenSSLErrors.drain())")
        var out = [UInt8](repeating: 0, count: Int(count))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_X509(handle, &cursor)
        }
        return out
    }

    /// The PEM encoding ("-----BEGIN CERTIFICATE-----").
    public var pem: String {
        let bio = MemoryBIO()
        precondition(PEM_write_bio_X509(bio.handle, handle) == 1, "PEM_write_bio_X509 failed: \(OpenSSLErrors.drain())")
        return bio.string
    }

    /// The subject's common name (UTF-8), or "" when the subject has none.
    public var commonName: String { Self.commonName(of: X509_get_subject_name(handle)) }

    /// The issuer's common name, or "" when it has none.
    public var issuerCommonName: String { Self.commonName(of: X509_get_issuer_name(handle)) }

    /// The subject as an RFC 2253 string, e.g. "CN=client-0,O=fedattr".
    public var subject: String {
        let bio = MemoryBIO()
        _ = X509_NAME_print_ex(bio.handle, X509_get_subject_name(handle), 0, fedattr_xn_flag_rfc2253())
        return bio.string
    }

    /// Start of the validity period.
    public var notBefore: Date { Self.date(X509_get0_notBefore(handle)) }

    /// End of the validity period.
    public var notAfter: Date { Self.date(X509_get0_notAfter(handle)) }

    /// The serial number as lower-case hex of its big-endian bytes.
    public var serialNumberHex: String {
        guard let serial = X509_get0_serialNumber(handle), let bn = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(bn) }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
        _ = BN_bn2bin(bn, &bytes)
        return Digest.hex(bytes)
    }

    /// DNS names in the subjectAltName extension, in order.
    public var dnsNames: [String] { subjectAltNames(type: GEN_DNS).map { String(decoding: $0, as: UTF8.self) } }

    /// IP addresses in the subjectAltName extension, in textual form ("127.0.0.1", "::1").
    public var ipAddresses: [String] {
        subjectAltNames(type: GEN_IPADD).compactMap { raw in
            let family: Int32
            switch raw.count {
            case 4: family = AF_INET
            case 16: family = AF_INET6
            default: return nil
            }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(family, raw, &text, socklen_t(text.count)) != nil else { return nil }
            return OpenSSLErrors.text(text)
        }
    }

    /// Purposes allowed by the extended key usage extension (empty when the extension is absent).
    public var extendedKeyUsages: Set<CertificatePurpose> {
        guard X509_get_extension_flags(handle) & UInt32(EXFLAG_XKUSAGE) != 0 else { return [] }
        let usage = X509_get_extended_key_usage(handle)
        var result: Set<CertificatePurpose> = []
        if usage & UInt32(XKU_SSL_CLIENT) != 0 { result.insert(.client) }
        if usage & UInt32(XKU_SSL_SERVER) != 0 { result.insert(.server) }
        return result
    }

    /// Whether basicConstraints marks this certificate as a CA.
    public var isCertificateAuthority: Bool { X509_check_ca(handle) != 0 && X509_get_extension_flags(handle) & UInt32(EXFLAG_CA) != 0 }

    /// Lower-case hex SHA-256 of the DER encoding (64 characters).
    public var fingerprint: String { Digest.hex(Digest.sha256(der)) }

    /// Whether `signature` (DER ECDSA) is a valid signature over SHA-256(`message`) by this certificate's public key.
    public func verifySignature(_ signature: [UInt8], over message: [UInt8]) -> Bool {
        guard !signature.isEmpty, let key = X509_get0_pubkey(handle), let context = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            OpenSSLErrors.clear()
        }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else { return false }
        let result = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        return result == 1
    }

    /// Whether `key` is the private half of this certificate's public key.
    public func matches(_ key: PrivateKey) -> Bool {
        guard let publicKey = X509_get0_pubkey(handle) else { return false }
        return EVP_PKEY_eq(publicKey, key.handle) == 1
    }

    private func subjectAltNames(type: Int32) -> [[UInt8]] {
        guard let names = fedattr_x509_subject_alt_names(handle) else {
            OpenSSLErrors.clear()
            return []
        }
        defer { fedattr_general_names_free(names) }
        var result: [[UInt8]] = []
        for i in 0..<fedattr_general_names_count(names) where fedattr_general_name_type(names, i) == type {
            guard let string = fedattr_general_name_string(names, i) else { continue }
            result.append(Self.bytes(of: string))
        }
        return result
    }

    static func bytes(of string: UnsafePointer<ASN1_STRING>) -> [UInt8] {
        let count = Int(ASN1_STRING_length(string))
        guard count > 0, let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: count))
    }

    static func commonName(of name: OpaquePointer?) -> String {
        guard let name else { return "" }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry) else { return "" }
        var utf8: UnsafeMutablePointer<UInt8>? = nil
        let count = ASN1_STRING_to_UTF8(&utf8, data)
        guard count >= 0, let utf8 else {
            OpenSSLErrors.clear()
            return ""
        }
        defer { fedattr_openssl_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(count)), as: UTF8.self)
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        guard let time else { return Date(timeIntervalSince1970: 0) }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return Date(timeIntervalSince1970: 0) }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
