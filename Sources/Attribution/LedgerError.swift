/// One thing wrong with a ledger or its attribution file, naming the line (1-based), round, evaluator and client.
public enum LedgerError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformedLine(file: String, line: Int, reason: String)
    case nonCanonical(line: Int, round: Int)
    case digestMismatch(line: Int, round: Int, stored: String, computed: String)
    case chainBroken(line: Int, round: Int, expectedPrevious: String, foundPrevious: String)
    case roundNotIncreasing(line: Int, previous: Int, found: Int)
    case fingerprintMismatch(line: Int, round: Int, client: String, stored: String, computed: String)
    case signatureInvalid(line: Int, round: Int, client: String)
    case duplicateValue(file: String, line: Int, round: Int, evaluator: String, client: String)
    case valueMismatch(line: Int, round: Int, evaluator: String, client: String, ledger: Double, attribution: Double)
    case notInLedger(line: Int, round: Int, evaluator: String, client: String, value: Double)
    case missingFromAttribution(ledgerLine: Int, round: Int, evaluator: String, client: String, value: Double)
    case cumulativeMismatch(line: Int, round: Int, evaluator: String, client: String, expected: Double, found: Double)
    /// A detector flag in detections.jsonl and the ledger's flags disagree (`inLedger` says which side has it).
    case flagMismatch(round: Int, client: String, detector: String, inLedger: Bool)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .malformedLine(file, line, reason):
            return "\(file) line \(line): malformed record: \(reason)"
        case let .nonCanonical(line, round):
            return "ledger.jsonl line \(line) (round \(round)): record is not in canonical serialization"
        case let .digestMismatch(line, round, stored, computed):
            return "ledger.jsonl line \(line) (round \(round)): digest \(stored) does not match the record's content (SHA-256 \(computed)); the record was altered"
        case let .chainBroken(line, round, expected, found):
            return "ledger.jsonl line \(line) (round \(round)): chain broken: prev is \(found), expected the previous record's digest \(expected) (a record was removed, reordered or rewritten)"
        case let .roundNotIncreasing(line, previous, found):
            return "ledger.jsonl line \(line): round \(found) does not follow round \(previous)"
        case let .fingerprintMismatch(line, round, client, stored, computed):
            return "ledger.jsonl line \(line) (round \(round)), client \(client): fingerprint \(stored) is not the certificate's SHA-256 \(computed)"
        case let .signatureInvalid(line, round, client):
            return "ledger.jsonl line \(line) (round \(round)), client \(client): signature does not verify"
        case let .duplicateValue(file, line, round, evaluator, client):
            return "\(file) line \(line): duplicate value for round \(round), evaluator \(evaluator), client \(client)"
        case let .valueMismatch(line, round, evaluator, client, ledger, attribution):
            return "attribution.jsonl line \(line): round \(round), evaluator \(evaluator), client \(client): value \(attribution) but the ledger records \(ledger)"
        case let .notInLedger(line, round, evaluator, client, value):
            return "attribution.jsonl line \(line): round \(round), evaluator \(evaluator), client \(client), value \(value) is not in the ledger"
        case let .missingFromAttribution(ledgerLine, round, evaluator, client, value):
            return "ledger.jsonl line \(ledgerLine): round \(round), evaluator \(evaluator), client \(client), value \(value) has no line in attribution.jsonl"
        case let .cumulativeMismatch(line, round, evaluator, client, expected, found):
            return "attribution.jsonl line \(line): round \(round), evaluator \(evaluator), client \(client): cumulative \(found), expected the running sum \(expected)"
        case let .flagMismatch(round, client, detector, inLedger):
            return inLedger
                ? "ledger.jsonl round \(round): \(detector) flagged \(client), but detections.jsonl has no such flagged check"
                : "detections.jsonl: round \(round), \(detector) flagged \(client), but the ledger records no such flag"
        }
    }
}

/// Verification found problems; `problems` lists every one in file order (the first is usually the cause).
public struct LedgerVerificationFailure: Error, CustomStringConvertible, Equatable {
    public var problems: [LedgerError]

    public var description: String {
        "ledger verification failed with \(problems.count) problem(s):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
