import Foundation
import PKI

/// What a successful verification checked.
public struct LedgerReport: Sendable, Equatable {
    public var records: Int
    public var rounds: [Int]
    public var entries: Int
    public var attributionValues: Int
    public var attributionLines: Int
    /// Detector flags in the ledger (each matched against detections.jsonl when the run has one).
    public var flags: Int
    /// The last record's digest (64 zeros for an empty ledger).
    public var headDigest: String
}

/// Re-checks ledger.jsonl (digests, chain, certificate fingerprints, signatures) and that attribution.jsonl matches it value for value.
public enum LedgerVerifier {
    /// Verifies `directory/ledger.jsonl` and (when `checkAttribution`) `directory/attribution.jsonl`.
    /// `signatureCheck` verifies one submission (e.g. with PKI.Certificate and Wire's signing bytes).
    /// Throws `LedgerVerificationFailure` listing every problem, each naming its line, round, evaluator and client.
    public static func verify(directory: String, checkAttribution: Bool = true,
                              signatureCheck: (SignedSubmission) -> Bool) throws -> LedgerReport {
        var problems: [LedgerError] = []
        let ledgerPath = (directory as NSString).appendingPathComponent(Ledger.fileName)
        let parsed: [ParsedRecord]
        do {
            parsed = try parseLedger(path: ledgerPath, problems: &problems)
        } catch {
            throw LedgerVerificationFailure(problems: [error])
        }
        var ledgerValues: [ValueKey: (value: Double, line: Int)] = [:]
        var entryCount = 0
        for p in parsed {
            let record = p.record
            let baseDigest = bytes(hex: record.modelDigest) ?? []
            for entry in record.entries {
                entryCount += 1
                let computed = Digest.hex(Digest.sha256(entry.certificateDER))
                if computed != entry.fingerprint {
                    problems.append(.fingerprintMismatch(line: p.line, round: record.round, client: entry.client, stored: entry.fingerprint, computed: computed))
                }
                let submission = SignedSubmission(
                    round: UInt64(clamping: record.round), clientID: entry.client, nonce: entry.nonce,
                    sampleCount: UInt32(clamping: entry.sampleCount), baseModelDigest: baseDigest, updateDigest: entry.updateDigest,
                    certificateDER: entry.certificateDER, signature: entry.signature)
                if !signatureCheck(submission) {
                    problems.append(.signatureInvalid(line: p.line, round: record.round, client: entry.client))
                }
            }
            for a in record.attributions {
                let key = ValueKey(round: record.round, evaluator: a.evaluator, client: a.client)
                if ledgerValues[key] != nil {
                    problems.append(.duplicateValue(file: Ledger.fileName, line: p.line, round: record.round, evaluator: a.evaluator, client: a.client))
                }
                ledgerValues[key] = (a.value, p.line)
            }
        }
        var attributionLines = 0
        if checkAttribution {
            let path = (directory as NSString).appendingPathComponent(AttributionBook.fileName)
            attributionLines = crossCheck(path: path, ledgerValues: ledgerValues, problems: &problems)
        }
        let ledgerFlags = Set(parsed.flatMap { p in p.record.flags.map { FlagKey(round: p.record.round, client: $0.client, detector: $0.detector) } })
        let detectionsPath = (directory as NSString).appendingPathComponent("detections.jsonl")
        if FileManager.default.fileExists(atPath: detectionsPath) {
            crossCheckFlags(path: detectionsPath, ledgerFlags: ledgerFlags, problems: &problems)
        }
        guard problems.isEmpty else { throw LedgerVerificationFailure(problems: problems) }
        return LedgerReport(records: parsed.count, rounds: parsed.map(\.record.round), entries: entryCount,
                            attributionValues: ledgerValues.count, attributionLines: attributionLines, flags: ledgerFlags.count,
                            headDigest: parsed.last?.record.digest ?? LedgerRecord.genesisDigest)
    }

    /// Reads a ledger checking digests and the chain only; throws the first problem.
    public static func readLedger(path: String) throws -> [LedgerRecord] {
        var problems: [LedgerError] = []
        let parsed = try parseLedger(path: path, problems: &problems)
        if let first = problems.first { throw first }
        return parsed.map(\.record)
    }

    /// `readLedger(path:)` of ledger bytes not (yet) in a file; `path` names them in errors.
    public static func readLedger(contents: Data, path: String) throws -> [LedgerRecord] {
        var problems: [LedgerError] = []
        let parsed = parseLedger(lines: try lines(contents, path: path), problems: &problems)
        if let first = problems.first { throw first }
        return parsed.map(\.record)
    }

    struct ParsedRecord {
        var record: LedgerRecord
        var line: Int
    }

    struct FlagKey: Hashable {
        var round: Int
        var client: String
        var detector: String
    }

    /// The flagged checks of detections.jsonl must be exactly the ledger's flags.
    static func crossCheckFlags(path: String, ledgerFlags: Set<FlagKey>, problems: inout [LedgerError]) {
        let fileLines: [String]
        do { fileLines = try lines(path: path) } catch {
            problems.append(error)
            return
        }
        var fileFlags = Set<FlagKey>()
        for (index, text) in fileLines.enumerated() {
            guard let json = try? JSONValue.parse(text), let round = json["round"]?.intValue, let client = json["client"]?.stringValue,
                  let detector = json["detector"]?.stringValue, case let .bool(flagged)? = json["flagged"] else {
                problems.append(.malformedLine(file: "detections.jsonl", line: index + 1, reason: "expected round, client, detector, flagged"))
                continue
            }
            if flagged { fileFlags.insert(FlagKey(round: round, client: client, detector: detector)) }
        }
        let order: (FlagKey, FlagKey) -> Bool = { ($0.round, $0.client, $0.detector) < ($1.round, $1.client, $1.detector) }
        for k in ledgerFlags.subtracting(fileFlags).sorted(by: order) {
            problems.append(.flagMismatch(round: k.round, client: k.client, detector: k.detector, inLedger: true))
        }
        for k in fileFlags.subtracting(ledgerFlags).sorted(by: order) {
            problems.append(.flagMismatch(round: k.round, client: k.client, detector: k.detector, inLedger: false))
        }
    }

    struct ValueKey: Hashable {
        var round: Int
        var evaluator: String
        var client: String
    }

    static func lines(path: String) throws(LedgerError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "missing or unreadable")
        }
        return try lines(data, path: path)
    }

    static func lines(_ data: Data, path: String) throws(LedgerError) -> [String] {
        guard let text = String(data: data, encoding: .utf8) else { throw .unreadable(path: path, reason: "not UTF-8") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Parses every record and checks canonical form, digest and chain, appending problems; unparsable lines are skipped after reporting.
    static func parseLedger(path: String, problems: inout [LedgerError]) throws(LedgerError) -> [ParsedRecord] {
        parseLedger(lines: try lines(path: path), problems: &problems)
    }

    static func parseLedger(lines: [String], problems: inout [LedgerError]) -> [ParsedRecord] {
        var result: [ParsedRecord] = []
        var previousDigest = LedgerRecord.genesisDigest
        var previousRound: Int?
        for (index, text) in lines.enumerated() {
            let lineNumber = index + 1
            let stored: (record: LedgerRecord, digest: String)
            do {
                stored = try parseRecord(text)
            } catch {
                problems.append(.malformedLine(file: Ledger.fileName, line: lineNumber, reason: String(describing: error)))
                continue
            }
            var record = stored.record
            if record.digest != stored.digest {
                problems.append(.digestMismatch(line: lineNumber, round: record.round, stored: stored.digest, computed: record.digest))
            } else if record.line != text {
                problems.append(.nonCanonical(line: lineNumber, round: record.round))
            }
            record.digest = stored.digest
            if record.previousDigest != previousDigest {
                problems.append(.chainBroken(line: lineNumber, round: record.round, expectedPrevious: previousDigest, foundPrevious: record.previousDigest))
            }
            if let previousRound, record.round <= previousRound {
                problems.append(.roundNotIncreasing(line: lineNumber, previous: previousRound, found: record.round))
            }
            previousDigest = stored.digest
            previousRound = record.round
            result.append(ParsedRecord(record: record, line: lineNumber))
        }
        return result
    }

    /// The record rebuilt from a line (its `digest` recomputed) and the digest stored in the line.
    static func parseRecord(_ text: String) throws -> (record: LedgerRecord, digest: String) {
        let json = try JSONValue.parse(text)
        func field<T>(_ object: JSONValue, _ key: String, _ read: (JSONValue) -> T?) throws -> T {
            guard let raw = object[key], let value = read(raw) else {
                throw JSONParseError(offset: 0, reason: "missing or mistyped key '\(key)'")
            }
            return value
        }
        func hexBytes(_ v: JSONValue) -> [UInt8]? { v.stringValue.flatMap(bytes(hex:)) }
        func base64Bytes(_ v: JSONValue) -> [UInt8]? { v.stringValue.flatMap { Data(base64Encoded: $0) }.map { Array($0) } }
        let entries = try field(json, "entries") { $0.arrayValue }.map { e in
            LedgerEntry(client: try field(e, "client") { $0.stringValue },
                        certificateDER: try field(e, "certificate", base64Bytes),
                        fingerprint: try field(e, "fingerprint") { $0.stringValue },
                        updateDigest: try field(e, "update_digest", hexBytes),
                        sampleCount: try field(e, "sample_count") { $0.intValue },
                        nonce: try field(e, "nonce", hexBytes),
                        signature: try field(e, "signature", base64Bytes))
        }
        let attributions = try field(json, "attributions") { $0.arrayValue }.map { a in
            LedgerAttribution(evaluator: try field(a, "evaluator") { $0.stringValue },
                              client: try field(a, "client") { $0.stringValue },
                              value: try field(a, "value") { $0.doubleValue })
        }
        var refused: [LedgerRefusal] = []
        if let raw = json["refused"] {
            guard let items = raw.arrayValue else { throw JSONParseError(offset: 0, reason: "mistyped key 'refused'") }
            refused = try items.map { r in
                LedgerRefusal(client: r["client"]?.stringValue, claimedClient: r["claimed_client"]?.stringValue,
                              code: try field(r, "code") { $0.stringValue },
                              messageDigest: try field(r, "message_digest") { $0.stringValue })
            }
        }
        var flags: [LedgerFlag] = []
        if let raw = json["flags"] {
            guard let items = raw.arrayValue else { throw JSONParseError(offset: 0, reason: "mistyped key 'flags'") }
            flags = try items.map { f in
                LedgerFlag(client: try field(f, "client") { $0.stringValue }, detector: try field(f, "detector") { $0.stringValue },
                           score: try field(f, "score") { $0.doubleValue }, threshold: try field(f, "threshold") { $0.doubleValue })
            }
        }
        var aggregation: LedgerAggregation?
        if let raw = json["aggregation"] {
            let fallback: String?
            if let f = raw["fallback"] {
                guard let text = f.stringValue else { throw JSONParseError(offset: 0, reason: "mistyped key 'fallback'") }
                fallback = text
            } else {
                fallback = nil
            }
            aggregation = LedgerAggregation(
                rule: try field(raw, "rule") { $0.stringValue }, applied: try field(raw, "applied") { $0.stringValue },
                fallbackReason: fallback,
                dropped: try field(raw, "dropped") { $0.arrayValue }.map { d in
                    [try field(d, "client") { $0.stringValue }, try field(d, "reason") { $0.stringValue }]
                })
        }
        let next: String?
        if let raw = json["next_model_digest"] {
            guard let s = raw.stringValue else { throw JSONParseError(offset: 0, reason: "mistyped key 'next_model_digest'") }
            next = s
        } else {
            next = nil
        }
        let record = LedgerRecord(
            round: try field(json, "round") { $0.intValue }, time: try field(json, "time") { $0.stringValue },
            previousDigest: try field(json, "prev") { $0.stringValue }, modelDigest: try field(json, "model_digest") { $0.stringValue },
            nextModelDigest: next, entries: entries, attributions: attributions, refused: refused,
            flags: flags, aggregation: aggregation, utilityBefore: try field(json, "utility_before") { $0.doubleValue },
            utilityAfter: try field(json, "utility_after") { $0.doubleValue })
        return (record, try field(json, "digest") { $0.stringValue })
    }

    /// Compares attribution.jsonl with the ledger's values; returns the number of lines read.
    static func crossCheck(path: String, ledgerValues: [ValueKey: (value: Double, line: Int)], problems: inout [LedgerError]) -> Int {
        let fileLines: [String]
        do {
            fileLines = try lines(path: path)
        } catch {
            problems.append(error)
            return 0
        }
        var seen = Set<ValueKey>()
        var running: [String: Double] = [:]
        for (index, text) in fileLines.enumerated() {
            let lineNumber = index + 1
            let r: AttributionRecord
            do {
                r = try AttributionRecord.parse(text)
            } catch {
                problems.append(.malformedLine(file: AttributionBook.fileName, line: lineNumber, reason: String(describing: error)))
                continue
            }
            let key = ValueKey(round: r.round, evaluator: r.evaluator, client: r.client)
            if !seen.insert(key).inserted {
                problems.append(.duplicateValue(file: AttributionBook.fileName, line: lineNumber, round: r.round, evaluator: r.evaluator, client: r.client))
            }
            if let recorded = ledgerValues[key] {
                if !same(recorded.value, r.value) {
                    problems.append(.valueMismatch(line: lineNumber, round: r.round, evaluator: r.evaluator, client: r.client, ledger: recorded.value, attribution: r.value))
                }
            } else {
                problems.append(.notInLedger(line: lineNumber, round: r.round, evaluator: r.evaluator, client: r.client, value: r.value))
            }
            let runningKey = r.evaluator + "\u{0}" + r.client
            let expected = (running[runningKey] ?? 0) + r.value
            if !same(expected, r.cumulative) {
                problems.append(.cumulativeMismatch(line: lineNumber, round: r.round, evaluator: r.evaluator, client: r.client, expected: expected, found: r.cumulative))
            }
            running[runningKey] = r.cumulative
        }
        let missing = ledgerValues.filter { !seen.contains($0.key) }.sorted {
            ($0.value.line, $0.key.evaluator, $0.key.client) < ($1.value.line, $1.key.evaluator, $1.key.client)
        }
        for (key, recorded) in missing {
            problems.append(.missingFromAttribution(ledgerLine: recorded.line, round: key.round, evaluator: key.evaluator, client: key.client, value: recorded.value))
        }
        return fileLines.count
    }

    /// Exact equality, with NaN equal to NaN.
    static func same(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }

    /// The bytes of a lower-case hex string; nil when it is not one.
    public static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
