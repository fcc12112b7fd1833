import ArgumentParser
import Federation
import Foundation

/// `fedattr verify DIR`: audit a run directory.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-check a run's ledger hash chain, the clients' signatures and certificates, and that attribution.jsonl matches the ledger.")

    @Argument(help: "Run directory (holds ledger.jsonl and attribution.jsonl).") var directory: String
    @Option(help: "Validate every certificate against this CA (default: DIR/ca.crt, which the coordinator records, else DIR/pki/ca.crt).") var ca: String?

    func run() throws {
        let run = RunLayout(directory: directory)
        let caFile = ca ?? [run.caCertificate, run.pki.caCertificate].first { FileManager.default.fileExists(atPath: $0) }
        do {
            let report = try AuditVerifier.verify(directory: directory, caFile: caFile)
            print("ok: \(report.records) ledger records (rounds \(report.rounds.first ?? 0)…\(report.rounds.last ?? 0)), \(report.entries) signed updates, \(report.attributionValues) attribution values match \(report.attributionLines) lines of attribution.jsonl, \(report.flags) detector flags match detections.jsonl; head \(report.headDigest.prefix(16))…\(caFile.map { "; certificates checked against \($0)" } ?? "")")
            if caFile == nil {
                print("warning: certificate checks SKIPPED: no --ca given and no \(run.caCertificate) or \(run.pki.caCertificate); the signatures verify against the certificates in the ledger, but nothing shows those were issued by the federation's CA. Pass --ca PKI_DIR/ca.crt.")
            }
        } catch {
            FileHandle.standardError.write(Data("verification FAILED:\n\(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
