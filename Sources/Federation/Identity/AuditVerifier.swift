import Attribution
import Foundation
import PKI
import Wire

/// `fedattr verify`: re-checks a run directory's ledger chain, every signature in it (optionally each certificate
/// against the federation CA too), that attribution.jsonl matches the ledger value for value, the coordinator's seal
/// on every record and, given client logs, that the ledger holds every head the clients saw.
public enum AuditVerifier {
    /// The ledger's report; throws on the first kind of problem found (chain and signatures, then seals and heads).
    public static func verify(directory: String, caFile: String?, clientLogs: [String] = [], allowUnsealed: Bool = false) throws -> LedgerReport {
        try audit(directory: directory, caFile: caFile, clientLogs: clientLogs, allowUnsealed: allowUnsealed).ledger
    }

    /// Everything `fedattr verify` checks.
    public struct Report: Sendable {
        public var ledger: LedgerReport
        public var seals: LedgerSealReport
        /// Rounds whose exact Shapley values were checked to sum to v(N) − v(∅).
        public var efficientRounds: Int
    }

    public static func audit(directory: String, caFile: String?, clientLogs: [String] = [], allowUnsealed: Bool = false) throws -> Report {
        let trust = try caFile.map { try TrustAnchor(caPEMFile: $0) }
        let ledger = try verifyChain(directory: directory, trust: trust)
        // Efficiency and seals are both reported when both fail (an edited value usually breaks both).
        var problems: [String] = []
        var efficient = 0
        do {
            efficient = try checkEfficiency(try LedgerVerifier.readLedger(path: RunLayout(directory: directory).ledger))
        } catch let failure as AuditFailure {
            problems += failure.problems
        }
        var seals: LedgerSealReport?
        do {
            seals = try LedgerSealVerifier.verify(directory: directory, trust: trust, clientLogs: clientLogs, allowUnsealed: allowUnsealed)
        } catch let failure as AuditFailure {
            problems += failure.problems
        }
        guard problems.isEmpty, let seals else { throw AuditFailure(problems: problems) }
        return Report(ledger: ledger, seals: seals, efficientRounds: efficient)
    }

    /// Exact Shapley values sum to v(N) − v(∅) = utility after − utility before (efficiency), up to
    /// `efficiencyTolerance` × (1 + Σ|φᵢ|) for floating-point rounding; returns the rounds checked.
    static func checkEfficiency(_ records: [LedgerRecord]) throws -> Int {
        var checked = 0
        var problems: [String] = []
        for record in records {
            let values = record.attributions.filter { $0.evaluator == "shapley-exact" }.map(\.value)
            guard !values.isEmpty, values.allSatisfy(\.isFinite) else { continue }
            let gap = values.reduce(0, +) - (record.utilityAfter - record.utilityBefore)
            if abs(gap) > efficiencyTolerance * (1 + values.reduce(0) { $0 + abs($1) }) {
                problems.append("round \(record.round): exact Shapley values sum to \(values.reduce(0, +)), but v(N) − v(∅) = \(record.utilityAfter - record.utilityBefore) (off by \(gap))")
            }
            checked += 1
        }
        guard problems.isEmpty else { throw AuditFailure(problems: problems) }
        return checked
    }

    /// Relative tolerance of the efficiency check (docs/ATTRIBUTION.md).
    public static let efficiencyTolerance = 1e-9

    private static func verifyChain(directory: String, trust: TrustAnchor?) throws -> LedgerReport {
        try LedgerVerifier.verify(directory: directory) { s in
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
