import Attribution
import Logging
import PKI
import Wire

/// The line a client logs for every task (`msg="ledger head seen"`): the ledger head the coordinator announced with it
/// and the coordinator's seal on that head. `fedattr verify --client-logs` reads these lines back to prove that the
/// ledger still holds every head a client saw (docs/SECURITY.md, the ledger and its operator).
public struct LedgerHeadSeenEvent: Sendable, Equatable {
    public static let message: Logger.Message = "ledger head seen"

    /// The round of the task that carried the head (of the finish message: the last round).
    public var round: UInt64
    /// The round of the ledger record the head is the digest of (0: no record yet).
    public var ledgerRound: UInt64
    public var head: [UInt8]
    /// The coordinator's DER ECDSA signature over `LedgerSeal.signingBytes(round: ledgerRound, head: head)`.
    public var seal: [UInt8]
    /// The client that logged it (its `client=` field), when the line names one.
    public var client: String?

    public init(round: UInt64, ledgerRound: UInt64, head: [UInt8], seal: [UInt8], client: String? = nil) {
        self.round = round
        self.ledgerRound = ledgerRound
        self.head = head
        self.seal = seal
        self.client = client
    }

    init(task: TaskMessage) {
        self.init(round: task.round, ledgerRound: task.ledgerRound, head: task.ledgerHead, seal: task.ledgerSeal)
    }

    init(finish: FinishMessage) {
        self.init(round: finish.round, ledgerRound: finish.ledgerRound, head: finish.ledgerHead, seal: finish.ledgerSeal)
    }

    public var metadata: Logger.Metadata {
        ["round": "\(round)", "ledger_round": "\(ledgerRound)", "head": "\(Digest.hex(head))", "seal": "\(Digest.hex(seal))"]
    }

    /// The event of a logfmt line written by `LogfmtLogHandler` with this message, or nil for any other line.
    public init?<S: StringProtocol>(logfmtLine line: S) {
        guard line.contains("msg=\"\(Self.message)\"") else { return nil }
        func field(_ key: String) -> String? {
            guard let range = line.range(of: " \(key)=") else { return nil }
            let value = line[range.upperBound...].prefix { $0 != " " }
            return value == "\"\"" ? "" : String(value)
        }
        guard let round = field("round").flatMap({ UInt64($0) }), let ledgerRound = field("ledger_round").flatMap({ UInt64($0) }),
              let head = field("head").flatMap(LedgerVerifier.bytes(hex:)), head.count == 32,
              let seal = field("seal").flatMap(LedgerVerifier.bytes(hex:)) else { return nil }
        self.init(round: round, ledgerRound: ledgerRound, head: head, seal: seal, client: field("client"))
    }
}
