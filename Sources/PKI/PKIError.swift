import Foundation

/// What went wrong in the PKI layer: reading or writing key material, parsing, signing, issuing, or validating a certificate.
public enum PKIError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No file at `path`.
    case fileNotFound(path: String)
    /// The file exists but could not be read (`errno` from open/read).
    case fileUnreadable(path: String, errno: Int32)
    /// Writing `path` failed (`errno` from open/write/chmod).
    case fileWriteFailed(path: String, errno: Int32)
    /// Refused to overwrite existing key material at `path` (pass `force` to replace it).
    case fileExists(path: String)
    /// The input holding a `what` ("certificate", "private key") was empty.
    case emptyInput(what: String)
    /// The input was not a PEM-encoded `what`; `detail` is OpenSSL's reason.
    case malformedPEM(what: String, detail: String)
    /// The input was not a DER-encoded `what`; `detail` is OpenSSL's reason.
    case malformedDER(what: String, detail: String)
    /// The key is not an ECDSA P-256 key (`found` names what it is).
    case unsupportedKey(found: String)
    /// The certificate's public key does not belong to the private key given with it.
    case keyMismatch(commonName: String)
    /// Key generation failed inside OpenSSL.
    case keyGenerationFailed(detail: String)
    /// Signing failed inside OpenSSL.
    case signingFailed(detail: String)
    /// Building or signing a certificate failed; `step` says at which point.
    case issuanceFailed(step: String, detail: String)
    /// An argument was out of range, e.g. a negative client count or an unparsable IP address.
    case invalidArgument(String)
    /// A signed message's signature does not verify under the public key of certificate `commonName`.
    case badSignature(commonName: String)
    /// A message claims to come from `claimed`, but its certificate names `certificate`.
    case identityMismatch(claimed: String, certificate: String)
    /// `validate` rejected the certificate with common name `commonName`; `detail` is OpenSSL's verification message.
    case certificateRejected(commonName: String, reason: RejectionReason, detail: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path): return "no such file: \(path)"
        case .fileUnreadable(let path, let e): return "cannot read \(path): \(String(cString: strerror(e))) (errno \(e))"
        case .fileWriteFailed(let path, let e): return "cannot write \(path): \(String(cString: strerror(e))) (errno \(e))"
        case .fileExists(let path): return "\(path) already exists; refusing to overwrite it (use --force to replace the PKI)"
        case .emptyInput(let what): return "empty input where a \(what) was expected"
        case .malformedPEM(let what, let detail): return "not a PEM \(what): \(detail)"
        case .malformedDER(let what, let detail): return "not a DER \(what): \(detail)"
        case .unsupportedKey(let found): return "unsupported key type \(found), expected an ECDSA P-256 key"
        case .keyMismatch(let cn): return "the private key does not match the public key of certificate '\(cn)'"
        case .keyGenerationFailed(let detail): return "key generation failed: \(detail)"
        case .signingFailed(let detail): return "signing failed: \(detail)"
        case .issuanceFailed(let step, let detail): return "certificate issuance failed at \(step): \(detail)"
        case .invalidArgument(let message): return "invalid argument: \(message)"
        case .badSignature(let cn): return "the signature does not verify under the key of certificate '\(cn)'"
        case .identityMismatch(let claimed, let found):
            return "message claims to be from '\(claimed)' but its certificate is for '\(found)'"
        case .certificateRejected(let cn, let reason, let detail):
            return "certificate '\(cn)' rejected (\(reason)): \(detail)"
        }
    }
}

/// Why `TrustAnchor.validate` rejected a certificate, abstracted from OpenSSL's X509_V_ERR codes.
public enum RejectionReason: Sendable, Equatable, CustomStringConvertible {
    /// The certificate does not chain to the trust anchor (X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT[_LOCALLY], self-signed leaf).
    case unknownIssuer
    /// The issuer's signature over the certificate does not verify.
    case badSignature
    /// The validation date is after notAfter.
    case expired
    /// The validation date is before notBefore.
    case notYetValid
    /// The extended key usage (or key usage) does not allow the requested purpose.
    case wrongPurpose
    /// The certificate carries no extended key usage; the federation requires one.
    case missingExtendedKeyUsage
    /// A client certificate has no (or an empty) common name, so it cannot name a client.
    case missingCommonName
    /// Any other OpenSSL verification error, with its X509_V_ERR code.
    case other(code: Int32)

    public var description: String {
        switch self {
        case .unknownIssuer: return "unknown issuer"
        case .badSignature: return "bad signature"
        case .expired: return "expired"
        case .notYetValid: return "not yet valid"
        case .wrongPurpose: return "wrong purpose"
        case .missingExtendedKeyUsage: return "no extended key usage"
        case .missingCommonName: return "no common name"
        case .other(let code): return "X509 error \(code)"
        }
    }
}

extension PKIError {
    /// The same error with the file it came from named in a malformed-PEM detail.
    func naming(file path: String) -> PKIError {
        if case let .malformedPEM(what, detail) = self { return .malformedPEM(what: what, detail: "\(path): \(detail)") }
        return self
    }
}
