import CZlib
import Foundation
import PKI
import Wire

/// What one fuzz input goes through: the wire decoder as the coordinator and clients call it, on the bytes as given and
/// again with length and CRC repaired (so mutations reach the body parser), then, for a decoded message, the checks the
/// coordinator makes before accepting it (certificate parse and chain, CN = claimed id, signature over the signing
/// bytes; the ledger seal a client checks in a task). Any input that breaks an invariant stops the process.
final class WireFuzzTarget: @unchecked Sendable {  // immutable after init; libFuzzer calls from one thread
    /// The federation CA the fuzzed certificates are judged against.
    let trust: TrustAnchor
    /// The coordinator certificate that seals ledger heads in tasks and finish messages.
    let coordinator: Certificate
    /// The coordinator's receive limits for a model of `parameters` values (Coordinator.collect).
    let coordinatorLimits: DecodeLimits
    /// Certificates that passed validation, by SHA-256 of their DER (only the CA's can: at most a few).
    private var validated: [[UInt8]: Certificate] = [:]
    /// Inputs above this size are not tried (libFuzzer's -max_len should be at most this).
    static let maxInputBytes = 1 << 20

    init(pki: SeedPKI, parameters: Int) {
        trust = pki.trust
        coordinator = pki.coordinator.certificate
        coordinatorLimits = DecodeLimits(maxParameters: parameters, expectedParameters: parameters)
    }

    /// Runs one input; returns normally whatever the input, unless an invariant breaks (then it traps).
    func run(_ input: [UInt8]) {
        guard input.count <= Self.maxInputBytes else { return }
        // As received: header checks, length and CRC mismatches.
        check(input)
        // Resealed: body length and CRC recomputed, so the mutation is judged by the field parsers.
        if input.count >= EnvelopeHeader.size { check(Self.reseal(input)) }
    }

    /// Whether `bytes` decode and pass every check as they are (the seeds must: else the fuzzer starts shallow).
    func accepts(_ bytes: [UInt8]) -> Bool {
        guard let message = try? WireCodec.decode(bytes) else { return false }
        return accept(message)
    }

    private func check(_ bytes: [UInt8]) {
        // The coordinator's limits: accepted messages must also pass the default limits (a client's).
        if let strict = try? WireCodec.decode(bytes, limits: coordinatorLimits) {
            invariant((try? WireCodec.decode(bytes)) == strict, "coordinator limits accepted what default limits refuse")
        }
        let message: Message
        do {
            message = try WireCodec.decode(bytes)
        } catch {
            _ = error.description  // every refusal must be describable (it is logged)
            return
        }
        // What the decoder accepts, validate accepts and the encoder writes back byte for byte (the encoding is canonical).
        let header: EnvelopeHeader
        do { header = try EnvelopeHeader(parsing: bytes) } catch { fatalError("decoded but the header does not parse: \(error)") }
        do { try WireCodec.validate(message) } catch { fatalError("decoded but validate refuses: \(error)") }
        invariant(WireCodec.encode(message, encoding: header.tensorEncoding) == bytes, "re-encoding differs from the input")
        _ = accept(message)
    }

    /// The identity and seal checks done on a decoded message before it is used (IdentityVerifier, LedgerSealVerifier).
    private func accept(_ message: Message) -> Bool {
        switch message {
        case .register(let r):
            return authenticate(certificateDER: r.certificateDER, claimedID: r.clientID, signature: r.signature, signed: r.signingBytes)
        case .update(let u):
            let updateDigest = Digest.sha256(WireCodec.tensorBytes(u.update))
            return authenticate(certificateDER: u.certificateDER, claimedID: u.clientID, signature: u.signature,
                         signed: u.signingBytes(updateDigest: updateDigest))
        case .task(let t):
            return coordinator.verifySignature(t.ledgerSeal, over: LedgerSeal.signingBytes(round: t.ledgerRound, head: t.ledgerHead))
        case .finish(let f):
            return coordinator.verifySignature(f.ledgerSeal, over: LedgerSeal.signingBytes(round: f.ledgerRound, head: f.ledgerHead))
        case .probe:
            return true
        }
    }

    /// Like IdentityVerifier: a certificate whose DER was validated before is taken from the cache (keyed by SHA-256 of
    /// the DER), anything else is parsed and validated against the CA; then CN = claimed id and the signature.
    private func authenticate(certificateDER: [UInt8], claimedID: String, signature: [UInt8], signed: [UInt8]) -> Bool {
        let key = Digest.sha256(certificateDER)
        let certificate: Certificate
        if let hit = validated[key] {
            certificate = hit
        } else {
            guard let parsed = try? Certificate(der: certificateDER) else { return false }
            _ = parsed.fingerprint
            guard (try? trust.validate(parsed, purpose: .client)) != nil else { return false }
            if validated.count < 64 { validated[key] = parsed }
            certificate = parsed
        }
        guard certificate.commonName == claimedID else { return false }
        return certificate.verifySignature(signature, over: signed)
    }

    private func invariant(_ condition: Bool, _ what: String) {
        if !condition { fatalError("invariant broken: \(what)") }
    }

    /// `bytes` with the header's body length and CRC-32 made to match the body (zlib's crc32, independent of Wire's).
    static func reseal(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        let body = UInt32(b.count - EnvelopeHeader.size)
        for i in 0..<4 { b[20 + i] = UInt8(truncatingIfNeeded: body >> UInt32(8 * i)) }
        var crc = b.withUnsafeBufferPointer { crc32(0, $0.baseAddress, 24) }
        crc = b.withUnsafeBufferPointer { crc32(crc, $0.baseAddress! + EnvelopeHeader.size, uInt(b.count - EnvelopeHeader.size)) }
        for i in 0..<4 { b[24 + i] = UInt8(truncatingIfNeeded: crc >> UInt(8 * i)) }
        return b
    }
}
