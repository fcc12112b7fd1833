import CCrypto
import Foundation

/// A certificate authority (its certificate and key) that issues the federation's leaf certificates with libcrypto, in-process.
public struct CertificateIssuer: Sendable {
    /// The CA certificate (self-signed, basicConstraints CA:TRUE).
    public let certificate: Certificate
    /// The CA's signing key.
    public let key: PrivateKey

    /// An issuer from an existing CA certificate and its key; the key must match and the certificate must be a CA.
    public init(certificate: Certificate, key: PrivateKey) throws {
        guard certificate.isCertificateAuthority else {
            throw PKIError.invalidArgument("certificate '\(certificate.commonName)' is not a CA (basicConstraints CA:TRUE missing)")
        }
        guard certificate.matches(key) else { throw PKIError.keyMismatch(commonName: certificate.commonName) }
        self.certificate = certificate
        self.key = key
    }

    /// Loads the CA certificate and key from PEM files (e.g. DIR/ca.crt and DIR/ca.key).
    public init(certificateFile: String, keyFile: String) throws {
        try self.init(certificate: Certificate(pemFile: certificateFile), key: PrivateKey(pemFile: keyFile))
    }

    /// A new self-signed CA with a fresh P-256 key: basicConstraints critical CA:TRUE, keyUsage critical keyCertSign,cRLSign.
    public static func makeAuthority(commonName: String = "fedattr CA", notBefore: Date, notAfter: Date) throws -> CertificateIssuer {
        let key = try PrivateKey.generateP256()
        let certificate = try build(
            subjectName: commonName, subjectKey: key, issuer: nil, signingKey: key, notBefore: notBefore, notAfter: notAfter,
            extensions: [
                (NID_basic_constraints, "critical,CA:TRUE"),
                (NID_key_usage, "critical,keyCertSign,cRLSign"),
                (NID_subject_key_identifier, "hash"),
            ])
        return try CertificateIssuer(certificate: certificate, key: key)
    }

    /// Issues a leaf certificate for `commonName` with a fresh P-256 key (or `key`): random 16-byte serial,
    /// basicConstraints CA:FALSE, keyUsage digitalSignature, EKU clientAuth or serverAuth (exactly one), and the given SANs.
    /// The subject is O=fedattr plus CN=`commonName` (no CN when `commonName` is empty; `TrustAnchor` rejects such client certificates).
    public func issue(commonName: String, purpose: CertificatePurpose, dnsNames: [String] = [], ipAddresses: [String] = [],
                      notBefore: Date, notAfter: Date, key: PrivateKey? = nil) throws -> Credential {
        guard notBefore < notAfter else {
            throw PKIError.invalidArgument("notBefore \(notBefore) is not before notAfter \(notAfter)")
        }
        var altNames: [String] = []
        for name in dnsNames {
            guard Self.isValidDNSName(name) else { throw PKIError.invalidArgument("'\(name)' is not a DNS name") }
            altNames.append("DNS:\(name)")
        }
        for address in ipAddresses {
            guard Self.isValidIPAddress(address) else { throw PKIError.invalidArgument("'\(address)' is not an IPv4 or IPv6 address") }
            altNames.append("IP:\(address)")
        }
        var extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "critical,digitalSignature"),
            (NID_ext_key_usage, purpose == .client ? "clientAuth" : "serverAuth"),
            (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid:always"),
        ]
        if !altNames.isEmpty { extensions.append((NID_subject_alt_name, altNames.joined(separator: ","))) }
        let leafKey = try key ?? PrivateKey.generateP256()
        let certificate = try Self.build(subjectName: commonName, subjectKey: leafKey, issuer: self.certificate, signingKey: self.key,
                                         notBefore: notBefore, notAfter: notAfter, extensions: extensions)
        return Credential(certificate: certificate, key: leafKey)
    }

    /// Builds and signs one X.509 v3 certificate; `issuer == nil` means self-signed.
    private static func build(subjectName: String, subjectKey: PrivateKey, issuer: Certificate?, signingKey: PrivateKey,
                              notBefore: Date, notAfter: Date, extensions: [(Int32, String)]) throws(PKIError) -> Certificate {
        OpenSSLErrors.clear()
        guard let x509 = X509_new() else { throw .issuanceFailed(step: "X509_new", detail: "out of memory") }
        let certificate = Certificate(owning: x509)   // frees x509 on every exit path

        func check(_ ok: Bool, _ step: String) throws(PKIError) {
            if !ok { throw .issuanceFailed(step: step, detail: OpenSSLErrors.drain()) }
        }

        try check(X509_set_version(x509, Int(X509_VERSION_3)) == 1, "X509_set_version")
        try check(setRandomSerial(x509), "serial number")

        guard let name = X509_NAME_new() else { throw .issuanceFailed(step: "X509_NAME_new", detail: "out of memory") }
        defer { X509_NAME_free(name) }
        let organization = Array("fedattr".utf8)
        try check(X509_NAME_add_entry_by_NID(name, NID_organizationName, fedattr_mbstring_utf8(), organization,
                                             Int32(organization.count), -1, 0) == 1, "subject organization")
        let utf8 = Array(subjectName.utf8)
        if !utf8.isEmpty {
            try check(X509_NAME_add_entry_by_NID(name, NID_commonName, fedattr_mbstring_utf8(), utf8, Int32(utf8.count), -1, 0) == 1,
                      "subject common name")
        }
        try check(X509_set_subject_name(x509, name) == 1, "X509_set_subject_name")
        let issuerName = issuer.map { X509_get_subject_name($0.handle) } ?? name
        try check(X509_set_issuer_name(x509, issuerName) == 1, "X509_set_issuer_name")

        try check(ASN1_TIME_set(X509_getm_notBefore(x509), time_t(notBefore.timeIntervalSince1970.rounded(.down))) != nil, "notBefore")
        try check(ASN1_TIME_set(X509_getm_notAfter(x509), time_t(notAfter.timeIntervalSince1970.rounded(.down))) != nil, "notAfter")
        try check(X509_set_pubkey(x509, subjectKey.handle) == 1, "X509_set_pubkey")

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.handle ?? x509, x509, nil, nil, 0)
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_nconf_nid(nil, &context, nid, value) else {
                throw .issuanceFailed(step: "extension \(String(cString: OBJ_nid2sn(nid))) = \(value)", detail: OpenSSLErrors.drain())
            }
            defer { X509_EXTENSION_free(ext) }
            try check(X509_add_ext(x509, ext, -1) == 1, "X509_add_ext")
        }
        try check(X509_sign(x509, signingKey.handle, EVP_sha256()) > 0, "X509_sign")
        return certificate
    }

    /// Sets a positive 128-bit random serial number (top bit clear, second bit set so the encoding is always 16 bytes).
    private static func setRandomSerial(_ x509: OpaquePointer) -> Bool {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else { return false }
        bytes[0] = (bytes[0] & 0x7f) | 0x40
        guard let bn = BN_bin2bn(bytes, Int32(bytes.count), nil) else { return false }
        defer { BN_free(bn) }
        return BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) != nil
    }

    static func isValidDNSName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.*_".utf8)
        return name.utf8.allSatisfy { allowed.contains($0) } && !name.hasPrefix(".") && !name.contains("..")
    }

    static func isValidIPAddress(_ address: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, address, &v4) == 1 || inet_pton(AF_INET6, address, &v6) == 1
    }
}
