import Foundation
import PKI

/// One client's signed submission as recorded in the ledger.
public struct LedgerEntry: Sendable, Equatable {
    public var client: String
    public var certificateDER: [UInt8]
    /// Lower-case hex SHA-256 of `certificateDER`.
    public var fingerprint: String
    /// SHA-256 of the update's tensor bytes (32 bytes).
    public var updateDigest: [UInt8]
    public var sampleCount: Int
    public var nonce: [UInt8]
    public var signature: [UInt8]

    /// The fingerprint is computed from the certificate.
    public init(client: String, certificateDER: [UInt8], updateDigest: [UInt8], sampleCount: Int, nonce: [UInt8], signature: [UInt8]) {
        self.init(client: client, certificateDER: certificateDER, fingerprint: Digest.hex(Digest.sha256(certificateDER)),
                  updateDigest: updateDigest, sampleCount: sampleCount, nonce: nonce, signature: signature)
    }

    init(client: String, certificateDER: [UInt8], fingerprint: String, updateDigest: [UInt8], sampleCount: Int, nonce: [UInt8], signature: [UInt8]) {
        self.client = client
        self.certificateDER = certificateDER
        self.fingerprint = fingerprint
        self.updateDigest = updateDigest
        self.sampleCount = sampleCount
        self.nonce = nonce
        self.signature = signature
    }

    var json: JSONValue {
        .object([
            "client": .string(client), "fingerprint": .string(fingerprint),
            "certificate": .string(Data(certificateDER).base64EncodedString()),
            "update_digest": .string(Digest.hex(updateDigest)), "sample_count": .integer(sampleCount),
            "nonce": .string(Digest.hex(nonce)), "signature": .string(Data(signature).base64EncodedString()),
        ])
    }
}

/// One attribution value as recorded in the ledger.
public struct LedgerAttribution: Sendable, Equatable {
    public var evaluator: String
    public var client: String
    public var value: Double

    public init(evaluator: String, client: String, value: Double) {
        self.evaluator = evaluator
        self.client = client
        self.value = value
    }

    var json: JSONValue { .object(["evaluator": .string(evaluator), "client": .string(client), "value": .double(value)]) }
}

/// A message the coordinator refused in a round, as recorded in the ledger: the pipe's verified client (if any),
/// the client the message claimed to be from (unverified), the refusal code and the SHA-256 of the raw message.
public struct LedgerRefusal: Sendable, Equatable {
    public var client: String?
    public var claimedClient: String?
    public var code: String
    /// Lower-case hex SHA-256 of the message bytes as received.
    public var messageDigest: String

    public init(client: String?, claimedClient: String?, code: String, messageDigest: String) {
        self.client = client
        self.claimedClient = claimedClient
        self.code = code
        self.messageDigest = messageDigest
    }

    var json: JSONValue {
        var members: [String: JSONValue] = ["code": .string(code), "message_digest": .string(messageDigest)]
        if let client { members["client"] = .string(client) }
        if let claimedClient { members["claimed_client"] = .string(claimedClient) }
        return .object(members)
    }
}

/// A detector's flag on a client in a round, as recorded in the ledger (detections.jsonl has every check).
public struct LedgerFlag: Sendable, Equatable {
    public var client: String
    public var detector: String
    public var score: Double
    public var threshold: Double

    public init(client: String, detector: String, score: Double, threshold: Double) {
        self.client = client
        self.detector = detector
        self.score = score.isFinite ? score : (score > 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude)
        self.threshold = threshold
    }

    var json: JSONValue {
        .object(["client": .string(client), "detector": .string(detector), "score": .double(score), "threshold": .double(threshold)])
    }
}

/// How the round's aggregate was made, as recorded in the ledger: the configured rule, the rule that applied (a
/// fallback when the configured one could not), why, and the clients left out with the reason.
public struct LedgerAggregation: Sendable, Equatable {
    public var rule: String
    public var applied: String
    public var fallbackReason: String?
    /// (client, reason) pairs.
    public var dropped: [[String]]

    public init(rule: String, applied: String, fallbackReason: String?, dropped: [[String]]) {
        self.rule = rule
        self.applied = applied
        self.fallbackReason = fallbackReason
        self.dropped = dropped
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "rule": .string(rule), "applied": .string(applied),
            "dropped": .array(dropped.map { .object(["client": .string($0[0]), "reason": .string($0[1])]) }),
        ]
        if let fallbackReason { members["fallback"] = .string(fallbackReason) }
        return .object(members)
    }
}

/// One round of the ledger: who submitted what (signed), the attribution values and the utilities, hash-chained to the previous round.
public struct LedgerRecord: Sendable, Equatable {
    public var round: Int
    /// ISO 8601 UTC time with milliseconds, e.g. "2026-11-25T11:16:20.123Z".
    public var time: String
    /// Hex SHA-256 of the previous record's canonical bytes (its `digest`); 64 zeros for the first record.
    public var previousDigest: String
    /// Hex SHA-256 of the global model w_t the clients trained from (the base digest they signed).
    public var modelDigest: String
    /// Hex SHA-256 of the model after the round, if the coordinator supplies it.
    public var nextModelDigest: String?
    public var entries: [LedgerEntry]
    public var attributions: [LedgerAttribution]
    /// Messages refused this round (omitted from the canonical text when empty).
    public var refused: [LedgerRefusal]
    /// Detector flags of the round (omitted when empty).
    public var flags: [LedgerFlag]
    /// The aggregation decision (omitted when absent, as in ledgers written before rules could decide).
    public var aggregation: LedgerAggregation?
    public var utilityBefore: Double
    public var utilityAfter: Double
    /// Hex SHA-256 of `canonicalBytes`.
    public var digest: String

    public static let genesisDigest = String(repeating: "0", count: 64)

    public init(round: Int, time: String, previousDigest: String, modelDigest: String, nextModelDigest: String?,
                entries: [LedgerEntry], attributions: [LedgerAttribution], refused: [LedgerRefusal] = [],
                flags: [LedgerFlag] = [], aggregation: LedgerAggregation? = nil,
                utilityBefore: Double, utilityAfter: Double) {
        self.round = round
        self.time = time
        self.previousDigest = previousDigest
        self.modelDigest = modelDigest
        self.nextModelDigest = nextModelDigest
        self.entries = entries
        self.attributions = attributions
        self.refused = refused
        self.flags = flags
        self.aggregation = aggregation
        self.utilityBefore = utilityBefore
        self.utilityAfter = utilityAfter
        self.digest = ""
        self.digest = Digest.hex(Digest.sha256(canonicalBytes))
    }

    /// The canonical serialization without the digest field (sorted keys, no whitespace; see docs/ATTRIBUTION.md).
    public var canonicalText: String {
        var members: [String: JSONValue] = [
            "round": .integer(round), "time": .string(time), "prev": .string(previousDigest),
            "model_digest": .string(modelDigest),
            "entries": .array(entries.map(\.json)), "attributions": .array(attributions.map(\.json)),
            "utility_before": .double(utilityBefore), "utility_after": .double(utilityAfter),
        ]
        if let nextModelDigest { members["next_model_digest"] = .string(nextModelDigest) }
        if !refused.isEmpty { members["refused"] = .array(refused.map(\.json)) }
        if !flags.isEmpty { members["flags"] = .array(flags.map(\.json)) }
        if let aggregation { members["aggregation"] = aggregation.json }
        return JSONValue.object(members).serialized
    }

    public var canonicalBytes: [UInt8] { Array(canonicalText.utf8) }

    /// The stored line (without newline): the canonical text with `,"digest":"<hex>"` inserted before the final `}`.
    public var line: String {
        String(canonicalText.dropLast()) + ",\"digest\":\"" + digest + "\"}"
    }
}
