/// What the coordinator signs to vouch for its ledger as it stood after a round: the record's round and digest. The
/// same bytes are signed in ledger-seals.jsonl and carried in the next task, so a client's log proves the ledger's head.
public enum LedgerSeal {
    /// Domain-separation label of the seal signing input (PROTOCOL.md §6.3).
    public static let signingPrefix: [UInt8] = Array("fedattr/ledger-seal/v1".utf8) + [0]
    /// The head before any record: 32 zero bytes (the ledger's genesis digest).
    public static let genesisHead = [UInt8](repeating: 0, count: 32)

    /// Label ‖ round (u64) ‖ head (32 bytes).
    public static func signingBytes(round: UInt64, head: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: signingPrefix.count + 8 + head.count)
        writer.raw(signingPrefix)
        writer.u64(round)
        writer.raw(head)
        return writer.bytes
    }
}
