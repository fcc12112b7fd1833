import ArgumentParser
import Federation
import Foundation

/// `fedattr verify DIR`: audit a run directory.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-check a run's ledger hash chain, the clients' signatures and certificates, the coordinator's seals, that attribution.jsonl matches the ledger and, with --client-logs, that the ledger holds every head the clients saw.")

    @Argument(help: "Run directory (holds ledger.jsonl and attribution.jsonl).") var directory: String
    @Option(help: "Validate every certificate against this CA (default: DIR/ca.crt, which the coordinator records, else DIR/pki/ca.crt).") var ca: String?
    @Option(parsing: .upToNextOption, help: "Client log files, or directories of *.log files: the ledger must hold every head they saw (rewriting and truncation are caught).")
    var clientLogs: [String] = []
    @Flag(help: "Accept a run without ledger-seals.jsonl (written before the coordinator sealed its ledger): chain and signatures only.")
    var allowUnsealed = false

    func run() throws {
        let run = RunLayout(directory: directory)
        let caFile = ca ?? [run.caCertificate, run.pki.caCertificate].first { FileManager.default.fileExists(atPath: $0) }
        do {
            let audit = try AuditVerifier.audit(directory: directory, caFile: caFile, clientLogs: clientLogs, allowUnsealed: allowUnsealed)
            let (report, seals) = (audit.ledger, audit.seals)
            print("ok: \(report.records) ledger records (rounds \(report.rounds.first ?? 0)…\(report.rounds.last ?? 0)), \(report.entries) signed updates, \(report.attributionValues) attribution values match \(report.attributionLines) lines of attribution.jsonl, \(report.flags) detector flags match detections.jsonl; head \(report.headDigest.prefix(16))…\(caFile.map { "; certificates checked against \($0)" } ?? "")")
            if audit.efficientRounds > 0 {
                print("ok: exact Shapley values sum to v(N) − v(∅) in \(audit.efficientRounds) rounds (relative tolerance \(AuditVerifier.efficiencyTolerance))")
            }
            if let fingerprint = seals.coordinatorFingerprint {
                print("ok: \(seals.sealedRecords) records sealed by the coordinator (certificate sha256 \(fingerprint.prefix(16))…)")
            } else {
                print("warning: the ledger is NOT sealed (--allow-unsealed): whoever can write the run directory can rewrite or cut it unnoticed")
            }
            if clientLogs.isEmpty {
                print("note: no --client-logs given: a ledger cut after its last sealed record cannot be told from a complete one")
            } else {
                print("ok: \(seals.clientHeads) ledger heads in \(seals.clientLogs) client logs are all in the ledger (newest: round \(seals.newestHeadSeen ?? 0))")
            }
            if caFile == nil {
                print("warning: certificate checks SKIPPED: no --ca given and no \(run.caCertificate) or \(run.pki.caCertificate); the signatures verify against the certificates in the ledger, but nothing shows those were issued by the federation's CA. Pass --ca PKI_DIR/ca.crt.")
            }
        } catch {
            FileHandle.standardError.write(Data("verification FAILED:\n\(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
