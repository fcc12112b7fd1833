import Foundation
import PKI

/// Appends the tamper-evident, hash-chained ledger.jsonl (one record per round; SHA-256 via PKI.Digest).
/// Thread-safe (append and chain head behind an NSLock).
public final class Ledger: @unchecked Sendable {
    public static let fileName = "ledger.jsonl"

    public let path: String
    private let lock = NSLock()
    private var head: String
    private var lastRound: Int?

    /// Opens `directory/ledger.jsonl`, creating it (and the directory) if needed; an existing ledger is verified
    /// for its chain (not signatures) and continued from its last record.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        head = LedgerRecord.genesisDigest
        if FileManager.default.fileExists(atPath: path) {
            let records = try LedgerVerifier.readLedger(path: path)
            head = records.last?.digest ?? LedgerRecord.genesisDigest
            lastRound = records.last?.round
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
    }

    /// The digest of the last record (64 zeros when empty).
    public var lastDigest: String {
        lock.lock()
        defer { lock.unlock() }
        return head
    }

    /// Builds, chains and appends the round's record. Digests are raw 32-byte SHA-256 values.
    @discardableResult
    public func append(round: Int, time: Date = Date(), modelDigest: [UInt8], nextModelDigest: [UInt8]? = nil,
                       entries: [LedgerEntry], attributions: [LedgerAttribution], refused: [LedgerRefusal] = [],
                       flags: [LedgerFlag] = [], aggregation: LedgerAggregation? = nil,
                       utilityBefore: Double, utilityAfter: Double) throws -> LedgerRecord {
        lock.lock()
        defer { lock.unlock() }
        if let lastRound, round <= lastRound {
            throw LedgerError.roundNotIncreasing(line: 0, previous: lastRound, found: round)
        }
        let record = LedgerRecord(round: round, time: Self.timestamp(time), previousDigest: head,
                                  modelDigest: Digest.hex(modelDigest), nextModelDigest: nextModelDigest.map(Digest.hex),
                                  entries: entries, attributions: attributions, refused: refused,
                                  flags: flags, aggregation: aggregation, utilityBefore: utilityBefore, utilityAfter: utilityAfter)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw LedgerError.unreadable(path: path, reason: "cannot open for appending")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((record.line + "\n").utf8))
        head = record.digest
        lastRound = round
        return record
    }

    /// Convenience: the ledger attributions of a book round's records.
    public static func attributions(_ records: [AttributionRecord]) -> [LedgerAttribution] {
        records.map { LedgerAttribution(evaluator: $0.evaluator, client: $0.client, value: $0.value) }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
