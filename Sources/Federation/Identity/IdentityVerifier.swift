import Foundation
import PKI
import Wire

/// Checks that a message really comes from the client it names: certificate chain, dates and EKU against the
/// federation's CA, CN equal to the claimed id, the signature over the message's signing bytes, and the same
/// certificate as the client id first used in this run.
final class IdentityVerifier: @unchecked Sendable {  // the cache is behind `lock`
    private let trust: TrustAnchor
    private let lock = NSLock()
    private var validated: [String: Certificate] = [:]
    private var pinnedFingerprint: [String: String] = [:]

    init(trust: TrustAnchor) {
        self.trust = trust
    }

    /// The verified certificate of `claimedID`, or why it is refused.
    func verify(claimedID: String, certificateDER: [UInt8], signature: [UInt8], signedBytes: [UInt8]) -> Result<Certificate, Rejection> {
        let certificate: Certificate
        do {
            certificate = try cachedCertificate(certificateDER)
        } catch {
            return .failure(.badCertificate(client: claimedID, reason: "\(error)"))
        }
        if let refusal = Self.authenticate(certificate, claimedID: claimedID, signature: signature, signedBytes: signedBytes) {
            return .failure(refusal)
        }
        // The first verified certificate of a client id is pinned for the rest of the run.
        lock.lock()
        defer { lock.unlock() }
        if let pinned = pinnedFingerprint[claimedID], pinned != certificate.fingerprint {
            return .failure(.certificateChanged(client: claimedID, pinned: pinned, presented: certificate.fingerprint))
        }
        pinnedFingerprint[claimedID] = certificate.fingerprint
        return .success(certificate)
    }

    /// Client id → fingerprint of the certificate pinned for it (saved in the run's checkpoint).
    var pinnedCertificates: [String: String] {
        lock.lock()
        defer { lock.unlock() }
        return pinnedFingerprint
    }

    /// Pins the certificates of a run being resumed.
    func restorePins(_ pins: [String: String]) {
        lock.lock()
        defer { lock.unlock() }
        pinnedFingerprint.merge(pins) { current, _ in current }
    }

    /// The message-level check the coordinator and `fedattr verify` share: the certificate names `claimedID` and the
    /// signature over `signedBytes` verifies with its key. (Whether the certificate chains to the CA is checked apart.)
    static func authenticate(_ certificate: Certificate, claimedID: String, signature: [UInt8], signedBytes: [UInt8]) -> Rejection? {
        guard certificate.commonName == claimedID else {
            return .identityMismatch(claimed: claimedID, certificate: certificate.commonName)
        }
        guard certificate.verifySignature(signature, over: signedBytes) else { return .badSignature(client: claimedID) }
        return nil
    }

    private func cachedCertificate(_ der: [UInt8]) throws -> Certificate {
        let key = Digest.hex(Digest.sha256(der))
        lock.lock()
        let hit = validated[key]
        lock.unlock()
        if let hit, hit.notAfter > Date() { return hit }
        let certificate = try Certificate(der: der)
        try trust.validate(certificate, purpose: .client)
        lock.lock()
        validated[key] = certificate
        lock.unlock()
        return certificate
    }
}
