import Attribution
import Foundation
import PKI
import Wire

/// The coordinator's signature on the ledger's head after every round (OUT/ledger-seals.jsonl, one line per round:
/// round, head, signature, the coordinator's certificate), made with the key of its own certificate. The hash chain alone
/// lets whoever can write the run directory re-hash an edited ledger; a seal also needs the coordinator's private key.
/// Cutting the last records together with their seals leaves a valid shorter ledger: the heads the clients logged
/// (`LedgerHeadSeenEvent`) catch that (docs/SECURITY.md, the ledger and its operator).
final class LedgerSeals: @unchecked Sendable {  // used from the coordinator's thread only
    static let fileName = "ledger-seals.jsonl"

    /// One seal: the coordinator vouches that its ledger's record `round` has digest `head`.
    struct Seal: Equatable {
        var round: UInt64
        var head: [UInt8]
        var signature: [UInt8]
    }

    private let path: String
    private let key: PrivateKey
    private let certificateHex: String
    /// The newest seal (round 0, the genesis head, before the first record): what the next task carries.
    private(set) var last: Seal

    /// Seals with `key`; continues after the ledger's last record `round`/`head` (0 and the genesis head for a new run).
    init(directory: String, key: PrivateKey, certificate: Certificate, round: Int, head: String) throws {
        path = directory + "/" + Self.fileName
        self.key = key
        certificateHex = Digest.hex(certificate.der)
        guard let headBytes = LedgerVerifier.bytes(hex: head), headBytes.count == 32 else {
            throw FederationError.cannotRead(path: directory + "/" + Ledger.fileName, reason: "ledger head '\(head)' is not a SHA-256 digest")
        }
        last = Seal(round: UInt64(round), head: headBytes, signature: try key.sign(LedgerSeal.signingBytes(round: UInt64(round), head: headBytes)))
    }

    /// Signs record `round`'s digest `head` (hex) and appends the seal.
    func append(round: Int, head: String) throws {
        guard let headBytes = LedgerVerifier.bytes(hex: head), headBytes.count == 32 else {
            throw FederationError.cannotWriteBecause(path: path, reason: "ledger head '\(head)' is not a SHA-256 digest")
        }
        let seal = Seal(round: UInt64(round), head: headBytes, signature: try key.sign(LedgerSeal.signingBytes(round: UInt64(round), head: headBytes)))
        let line = "{\"certificate\":\"\(certificateHex)\",\"head\":\"\(head)\",\"round\":\(round),\"signature\":\"\(Digest.hex(seal.signature))\"}\n"
        guard let handle = FileHandle(forWritingAtPath: path)
            ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) else {
            throw FederationError.cannotWriteBecause(path: path, reason: "cannot open for appending")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(line.utf8))
            try handle.synchronize()
        } catch {
            throw FederationError.cannotWriteBecause(path: path, reason: "\(error)")
        }
        last = seal
    }
}
