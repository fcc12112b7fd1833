import Attribution
import Foundation
import PKI
import Wire

/// What `fedattr verify` found about the coordinator's seals and the ledger heads the clients logged.
public struct LedgerSealReport: Sendable, Equatable {
    /// Ledger records with a valid coordinator seal (0 for an unsealed run checked with `allowUnsealed`).
    public var sealedRecords: Int
    /// SHA-256 of the coordinator certificate that made the seals.
    public var coordinatorFingerprint: String?
    /// Client log files read and `ledger head seen` lines checked in them.
    public var clientLogs: Int
    public var clientHeads: Int
    /// The newest ledger round a client saw (nil without client logs).
    public var newestHeadSeen: UInt64?
}

/// The run fails the audit (ledger rewritten, truncated or not sealed; values not efficient): every problem, one per line.
public struct AuditFailure: Error, CustomStringConvertible, Equatable {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

/// Checks OUT/ledger-seals.jsonl against the ledger (every record sealed by a coordinator certificate of the federation,
/// no seal for a record that is gone) and, given client logs, that the ledger holds every head a client saw.
enum LedgerSealVerifier {
    static func verify(directory: String, trust: TrustAnchor?, clientLogs: [String], allowUnsealed: Bool) throws -> LedgerSealReport {
        let run = RunLayout(directory: directory)
        let records = try LedgerVerifier.readLedger(path: run.ledger)
        let sealsPath = run.ledgerSeals
        var problems: [String] = []
        var report = LedgerSealReport(sealedRecords: 0, coordinatorFingerprint: nil, clientLogs: 0, clientHeads: 0, newestHeadSeen: nil)
        var coordinators: [Certificate] = []

        var isDirectory: ObjCBool = false
        let sealsExist = FileManager.default.fileExists(atPath: sealsPath, isDirectory: &isDirectory)
        let sealsText = isDirectory.boolValue ? nil : FileManager.default.contents(atPath: sealsPath).flatMap { String(data: $0, encoding: .utf8) }
        if sealsExist && sealsText == nil {
            problems.append("\(sealsPath) is not readable as text (\(isDirectory.boolValue ? "a directory" : "unreadable or not UTF-8"))")
        } else if let text = sealsText {
            var seals: [Int: (head: String, ok: Bool)] = [:]
            for (index, line) in text.split(separator: "\n").enumerated() {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let round = object["round"] as? Int, round >= 0, let head = object["head"] as? String,
                      let headBytes = LedgerVerifier.bytes(hex: head), headBytes.count == 32,
                      let signature = (object["signature"] as? String).flatMap(LedgerVerifier.bytes(hex:)),
                      let der = (object["certificate"] as? String).flatMap(LedgerVerifier.bytes(hex:)),
                      let certificate = try? Certificate(der: der) else {
                    problems.append("\(LedgerSeals.fileName) line \(index + 1) is not a seal")
                    continue
                }
                var ok = certificate.commonName == PKILayout.coordinatorName
                    && certificate.verifySignature(signature, over: LedgerSeal.signingBytes(round: UInt64(round), head: headBytes))
                if ok, let trust {
                    // Judged as of the certificate's own validity window, as the clients' are (docs/ATTRIBUTION.md).
                    do { try trust.validate(certificate, purpose: .server, at: certificate.notAfter.addingTimeInterval(-1)) } catch { ok = false }
                }
                if ok, !coordinators.contains(where: { $0.der == certificate.der }) { coordinators.append(certificate) }
                if seals[round] != nil { problems.append("round \(round) is sealed twice") }
                seals[round] = (head, ok)
            }
            for record in records {
                guard let seal = seals[record.round] else { problems.append("round \(record.round) is not sealed"); continue }
                if seal.head != record.digest {
                    problems.append("round \(record.round): the coordinator sealed head \(seal.head.prefix(16))… but the record hashes to \(record.digest.prefix(16))… (rewritten after the run)")
                } else if !seal.ok {
                    problems.append("round \(record.round): the seal's signature or certificate does not verify (not the federation's coordinator)")
                } else {
                    report.sealedRecords += 1
                }
            }
            let extra = Set(seals.keys).subtracting(records.map(\.round))
            if !extra.isEmpty {
                problems.append("sealed rounds missing from the ledger (truncated or cut): \(extra.sorted().map(String.init).joined(separator: ","))")
            }
            report.coordinatorFingerprint = coordinators.first?.fingerprint
        } else if !allowUnsealed {
            problems.append("\(sealsPath) is missing: the ledger carries no coordinator seal (a run from before seals, or the file was removed); pass --allow-unsealed to check the chain alone")
        }

        let byRound = Dictionary(records.map { ($0.round, $0.digest) }, uniquingKeysWith: { first, _ in first })
        let lastRound = records.last?.round ?? 0
        for path in try logFiles(clientLogs) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                problems.append("cannot read client log \(path)")
                continue
            }
            report.clientLogs += 1
            for (index, line) in text.split(separator: "\n").enumerated() {
                let place = "\((path as NSString).lastPathComponent) line \(index + 1)"
                guard let seen = LedgerHeadSeenEvent(logfmtLine: line) else {
                    // A damaged line is evidence the audit cannot read, so it is named rather than skipped.
                    if line.contains("msg=\"\(LedgerHeadSeenEvent.message)\"") {
                        problems.append("\(place): a '\(LedgerHeadSeenEvent.message)' line without a readable round, ledger_round, head or seal")
                    }
                    continue
                }
                report.clientHeads += 1
                report.newestHeadSeen = max(report.newestHeadSeen ?? 0, seen.ledgerRound)
                let head = Digest.hex(seen.head)
                let expected = seen.ledgerRound == 0 ? LedgerRecord.genesisDigest : byRound[Int(seen.ledgerRound)]
                let signed = LedgerSeal.signingBytes(round: seen.ledgerRound, head: seen.head)
                let sealed = coordinators.contains { $0.verifySignature(seen.seal, over: signed) }
                let who = "\(seen.client ?? "a client") (\(place))"
                if expected != head {
                    let what = expected == nil ? "the ledger ends at round \(lastRound)" : "the ledger's record \(seen.ledgerRound) hashes to \(expected!.prefix(16))…"
                    problems.append("\(who) saw round \(seen.ledgerRound) with head \(head.prefix(16))…, announced in round \(seen.round), but \(what)"
                        + (sealed ? "; the coordinator's seal on that head verifies: the ledger was truncated or rewritten" : "; its seal does not verify against the coordinator's certificate"))
                } else if !coordinators.isEmpty, !sealed {
                    problems.append("\(who): the seal on round \(seen.ledgerRound)'s head does not verify against the coordinator's certificate")
                }
            }
        }
        if !clientLogs.isEmpty, report.clientHeads == 0 {
            problems.append("no '\(LedgerHeadSeenEvent.message)' lines in the client logs given (\(clientLogs.joined(separator: ", ")))")
        }
        guard problems.isEmpty else { throw AuditFailure(problems: problems) }
        return report
    }

    /// The files named, and the *.log files in the directories named.
    private static func logFiles(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw FederationError.cannotRead(path: path, reason: "no such client log file or directory")
            }
            if isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".log") }.sorted()
                files += names.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }
}
