import Attribution
import Foundation
import PKI
import Wire

/// `fedattr verify`: re-checks a run directory's ledger chain, every signature in it (optionally each certificate
/// against the federation CA too), and that attribution.jsonl matches the ledger value for value.
public enum AuditVerifier {
    public static func verify(directory: String, caFile: String?) throws -> LedgerReport {
        let trust = try caFile.map { try TrustAnchor(caPEMFile: $0) }
        return try LedgerVerifier.verify(directory: directory) { s in
            guard let certificate = try? Certificate(der: s.certificateDER) else { return false }
            if let trust {
                // Signed during the run, so judge the certificate as of its own validity window, not today.
                do { try trust.validate(certificate, purpose: .client, at: certificate.notAfter.addingTimeInterval(-1)) } catch { return false }
            }
            let signed = UpdateMessage.signingBytes(nonce: s.nonce, round: s.round, clientID: s.clientID, sampleCount: s.sampleCount,
                                                    baseModelDigest: s.baseModelDigest, updateDigest: s.updateDigest)
            return IdentityVerifier.authenticate(certificate, claimedID: s.clientID, signature: s.signature, signedBytes: signed) == nil
        }
    }
}
