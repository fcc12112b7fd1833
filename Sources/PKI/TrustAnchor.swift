import CCrypto
import Foundation

/// The federation's CA certificate, against which client and coordinator certificates are validated (chain, dates, EKU).
/// `@unchecked Sendable`: holds only an immutable `Certificate`; each `validate` builds its own X509_STORE.
public struct TrustAnchor: @unchecked Sendable {
    /// The CA certificate.
    public let certificate: Certificate

    /// Trusts `certificate`, which must be a CA (basicConstraints CA:TRUE).
    public init(certificate: Certificate) throws {
        guard certificate.isCertificateAuthority else {
            throw PKIError.invalidArgument("certificate '\(certificate.commonName)' is not a CA (basicConstraints CA:TRUE missing)")
        }
        self.certificate = certificate
    }

    /// Trusts the first PEM certificate in `caPEM`.
    public init(caPEM: String) throws { try self.init(certificate: Certificate(pem: caPEM)) }

    /// Trusts the first PEM certificate in the file `caPEMFile` (e.g. DIR/ca.crt).
    public init(caPEMFile: String) throws { try self.init(certificate: Certificate(pemFile: caPEMFile)) }

    /// Accepts `certificate` only if it is signed by this CA, valid at `date`, and its extended key usage allows `purpose`
    /// (client → clientAuth, server → serverAuth; the EKU extension must be present). A client certificate also needs a non-empty CN.
    public func validate(_ certificate: Certificate, purpose: CertificatePurpose, at date: Date = Date()) throws(PKIError) {
        let name = certificate.commonName
        if purpose == .client && name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw .certificateRejected(commonName: name, reason: .missingCommonName,
                                       detail: "a client certificate must carry a non-empty common name")
        }
        OpenSSLErrors.clear()
        guard let store = X509_STORE_new() else { throw .issuanceFailed(step: "X509_STORE_new", detail: "out of memory") }
        defer { X509_STORE_free(store) }
        guard X509_STORE_add_cert(store, self.certificate.handle) == 1 else {
            throw .issuanceFailed(step: "X509_STORE_add_cert", detail: OpenSSLErrors.drain())
        }
        guard let context = X509_STORE_CTX_new() else { throw .issuanceFailed(step: "X509_STORE_CTX_new", detail: "out of memory") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, certificate.handle, nil) == 1 else {
            throw .issuanceFailed(step: "X509_STORE_CTX_init", detail: OpenSSLErrors.drain())
        }
        let opensslPurpose = purpose == .client ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER
        guard X509_STORE_CTX_set_purpose(context, opensslPurpose) == 1 else {
            throw .issuanceFailed(step: "X509_STORE_CTX_set_purpose", detail: OpenSSLErrors.drain())
        }
        if let parameters = X509_STORE_CTX_get0_param(context) {
            X509_VERIFY_PARAM_set_time(parameters, time_t(date.timeIntervalSince1970.rounded(.down)))
        }
        let verified = X509_verify_cert(context)
        OpenSSLErrors.clear()
        if verified != 1 {
            let code = X509_STORE_CTX_get_error(context)
            let message = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "verification failed"
            throw .certificateRejected(commonName: name, reason: Self.reason(code), detail: message)
        }
        // OpenSSL accepts a leaf without any EKU for every purpose; the federation requires an explicit one.
        guard certificate.extendedKeyUsages.contains(purpose) else {
            throw .certificateRejected(commonName: name, reason: .missingExtendedKeyUsage,
                                       detail: "no extended key usage \(purpose == .client ? "clientAuth" : "serverAuth")")
        }
    }

    /// Authenticates a signed message: parses `certificateDER`, validates it for `purpose` at `date`, checks that its
    /// common name equals `claimedIdentity` (when given), and verifies `signature` over `message` with its key.
    /// Returns the certificate on success; throws `.malformedDER`, `.emptyInput`, `.certificateRejected`, `.identityMismatch` or `.badSignature`.
    @discardableResult
    public func authenticate(certificateDER: [UInt8], signature: [UInt8], over message: [UInt8], claimedIdentity: String?,
                             purpose: CertificatePurpose = .client, at date: Date = Date()) throws(PKIError) -> Certificate {
        let certificate: Certificate
        do {
            certificate = try Certificate(der: certificateDER)
        } catch let error as PKIError {
            throw error
        } catch {
            throw .malformedDER(what: "certificate", detail: "\(error)")
        }
        try validate(certificate, purpose: purpose, at: date)
        if let claimedIdentity, claimedIdentity != certificate.commonName {
            throw .identityMismatch(claimed: claimedIdentity, certificate: certificate.commonName)
        }
        guard certificate.verifySignature(signature, over: message) else { throw .badSignature(commonName: certificate.commonName) }
        return certificate
    }

    static func reason(_ code: Int32) -> RejectionReason {
        switch code {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
             X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return .unknownIssuer
        case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
            return .badSignature
        case X509_V_ERR_CERT_HAS_EXPIRED: return .expired
        case X509_V_ERR_CERT_NOT_YET_VALID: return .notYetValid
        case X509_V_ERR_INVALID_PURPOSE: return .wrongPurpose
        default: return .other(code: code)
        }
    }
}
