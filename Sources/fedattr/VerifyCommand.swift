import ArgumentParser
import Federation
import Foundation

/// `fedattr verify DIR`: audit a run directory.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-check a run's ledger hash chain, the clients' signatures and that attribution.jsonl matches the ledger.")

    @Argument(help: "Run directory (holds ledger.jsonl and attribution.jsonl).") var directory: String
    @Option(help: "Also validate every certificate against this CA (default: DIR/pki/ca.crt if present).") var ca: String?

    func run() throws {
        let caFile = ca ?? (FileManager.default.fileExists(atPath: directory + "/pki/ca.crt") ? directory + "/pki/ca.crt" : nil)
        do {
            let report = try AuditVerifier.verify(directory: directory, caFile: caFile)
            print("ok: \(report.records) ledger records (rounds \(report.rounds.first ?? 0)…\(report.rounds.last ?? 0)), \(report.entries) signed updates, \(report.attributionValues) attribution values match \(report.attributionLines) lines of attribution.jsonl, \(report.flags) detector flags match detections.jsonl; head \(report.headDigest.prefix(16))…\(caFile.map { "; certificates checked against \($0)" } ?? "")")
        } catch {
            FileHandle.standardError.write(Data("verification FAILED:\n\(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
