import Foundation
import PKI
import Testing
import Transport
import Wire
@testable import Federation

/// A client holding a valid certificate (client-1's, for TLS and registration) attacks a real coordinator over
/// mutual TLS on 127.0.0.1 next to an honest in-process client-0. Each attack must be refused with its exact code in
/// rounds.jsonl while the honest updates of the same rounds are accepted, every round completes, the ledger holds only
/// accepted submissions and `fedattr verify` passes.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct IdentityAttackTests {
    /// One crafted update answering round 1, and what the coordinator must say about it.
    enum SingleRoundAttack: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// Own certificate, but the update claims to be client-0.
        case claimsOtherClientWithOwnCertificate
        /// client-0's certificate and id, signed with client-1's key.
        case othersCertificateSignedWithOwnKey
        /// The pipe registered as client-1 sends a correctly signed update as client-2 (stolen key and certificate).
        case stolenIdentityOnBoundPipe
        /// Correctly signed, but trained from a base model other than the round's.
        case wrongBaseModel
        /// Correctly signed, zero samples.
        case zeroSamples
        /// Correctly signed for the next round (its number is checked before its nonce and signature).
        case futureRound
        /// Bytes that are no DER certificate where the certificate goes.
        case garbageCertificate
        /// A certificate for "client-1" from a CA the federation does not trust, signed with that certificate's key.
        case foreignCACertificate
        /// Own certificate, a signature that is no DER ECDSA signature (72 bytes of 0xFF).
        case garbageSignature

        var testDescription: String { rawValue }

        func craft(_ task: TaskMessage, _ h: FederationHarness) throws -> UpdateMessage {
            let me = try h.identity("client-1")
            switch self {
            case .claimsOtherClientWithOwnCertificate:
                return try craftUpdate(for: task, signer: me, clientID: "client-0")
            case .othersCertificateSignedWithOwnKey:
                let victim = try h.identity("client-0")
                return try craftUpdate(for: task, signer: me, clientID: victim.id, certificate: victim.certificate)
            case .stolenIdentityOnBoundPipe:
                return try craftUpdate(for: task, signer: try h.identity("client-2"))
            case .wrongBaseModel:
                let other = [Float](repeating: 0, count: task.parameters.count)
                return try craftUpdate(for: task, signer: me, baseModelDigest: Digest.sha256(WireCodec.tensorBytes(other)))
            case .zeroSamples:
                return try craftUpdate(for: task, signer: me, sampleCount: 0)
            case .futureRound:
                return try craftUpdate(for: task, signer: me, round: task.round + 1)
            case .garbageCertificate:
                var update = try craftUpdate(for: task, signer: me)
                update.certificateDER = Array("not a certificate".utf8)
                return update
            case .foreignCACertificate:
                let now = Date()
                let foreign = try CertificateIssuer.makeAuthority(commonName: "another CA", notBefore: now - 60, notAfter: now + 86_400)
                let impostor = try foreign.issue(commonName: me.id, purpose: .client, dnsNames: [me.id], notBefore: now - 60, notAfter: now + 86_400)
                let signer = Identity(id: me.id, key: impostor.key, certificate: impostor.certificate)
                return try craftUpdate(for: task, signer: signer)
            case .garbageSignature:
                var update = try craftUpdate(for: task, signer: me)
                update.signature = [UInt8](repeating: 0xFF, count: 72)
                return update
            }
        }

        /// Code and a distinctive part of the reason, read off Coordinator.runRound / IdentityVerifier / PipeTable.
        var expected: (code: String, reason: String) {
            switch self {
            case .claimsOtherClientWithOwnCertificate:
                return ("identity_mismatch", "message claims client 'client-0' but its certificate is for 'client-1'")
            case .othersCertificateSignedWithOwnKey:
                return ("bad_signature", "signature of client-0 does not verify against its certificate")
            case .stolenIdentityOnBoundPipe:
                return ("pipe_bound_to_other_identity", "belongs to client-1 but sent a message as client-2")
            case .wrongBaseModel:
                return ("wrong_base_model", "client-1 trained from a model other than this round's global model")
            case .zeroSamples:
                return ("zero_samples", "client-1 reported zero training samples")
            case .futureRound:
                return ("future_round", "update for future round 2 arrived in round 1")
            case .garbageCertificate:
                return ("bad_certificate", "certificate of client-1 refused: not a DER certificate")
            case .foreignCACertificate:
                return ("bad_certificate", "certificate of client-1 refused: certificate 'client-1' rejected (unknown issuer)")
            case .garbageSignature:
                return ("bad_signature", "signature of client-1 does not verify against its certificate")
            }
        }
    }

    @Test(arguments: SingleRoundAttack.allCases)
    func craftedUpdateIsRefusedWithItsCode(_ attack: SingleRoundAttack) throws {
        let h = try FederationHarness(name: "identity", rounds: 1)
        defer { h.shutdown(); h.cleanUp() }
        let evil = try h.respondent(tlsAs: "client-1", registerAs: "client-1")
        try h.start()

        let task = try evil.nextTask(within: 30)
        #expect(task.round == 1)
        #expect(evil.registrationsSent >= 1)
        let update = try attack.craft(task, h)
        try evil.send(.update(update))

        let summary = try h.finish(within: 40)
        let (code, reason) = attack.expected
        try expectRun(h, summary: summary,
                      rejections: [ExpectedRejection(round: 1, code: code, client: "client-1", reasonContains: reason)],
                      refusedDigests: [updateDigestHex(update.update)])
    }

    /// Round 1: client-1 sends a correct update (accepted). Round 2: the same bytes again → stale_round (the round check
    /// comes first). Round 3: the same update relabelled round 3 → wrong_nonce (the nonce is checked before the signature).
    /// Round 4: relabelled round 4 with round 4's nonce, old signature → bad_signature.
    @Test func replayedUpdateIsRefusedInLaterRounds() throws {
        let h = try FederationHarness(name: "replay", rounds: 4)
        defer { h.shutdown(); h.cleanUp() }
        let evil = try h.respondent(tlsAs: "client-1", registerAs: "client-1")
        try h.start()

        let task1 = try evil.nextTask(within: 30)
        #expect(task1.round == 1)
        let original = try craftUpdate(for: task1, signer: try h.identity("client-1"))
        let originalBytes = WireCodec.encode(.update(original))
        try evil.send(originalBytes)

        let task2 = try evil.nextTask(within: 30)
        #expect(task2.round == 2)
        #expect(task2.nonce != task1.nonce)
        try evil.send(originalBytes)

        let task3 = try evil.nextTask(within: 30)
        #expect(task3.round == 3)
        var relabelled = original
        relabelled.round = 3
        try evil.send(.update(relabelled))

        let task4 = try evil.nextTask(within: 30)
        #expect(task4.round == 4)
        relabelled.round = 4
        relabelled.nonce = task4.nonce
        try evil.send(.update(relabelled))

        let summary = try h.finish(within: 60)
        try expectRun(h, summary: summary, rejections: [
            ExpectedRejection(round: 2, code: "stale_round", client: "client-1", reasonContains: "update for round 1 arrived in round 2"),
            ExpectedRejection(round: 3, code: "wrong_nonce", client: "client-1", reasonContains: "client-1 answered with a nonce that is not this round's"),
            ExpectedRejection(round: 4, code: "bad_signature", client: "client-1", reasonContains: "signature of client-1 does not verify"),
        ], acceptedExtra: [1: ["client-1": original.update]])
    }

    /// A second connection with client-1's credentials, while client-1's registered connection is still up, sends a
    /// correctly signed client-1 update: identity_on_other_pipe. That connection never proved an identity, so the round
    /// does not wait for it (it is no straggler); the registered connection answers afterwards and is accepted.
    @Test func sameIdentityOnASecondLiveConnectionIsRefused() throws {
        let h = try FederationHarness(name: "otherpipe", rounds: 1, roundDeadline: 3)
        defer { h.shutdown(); h.cleanUp() }
        let registered = try h.respondent(tlsAs: "client-1", registerAs: "client-1")
        let intruder = try h.respondent(tlsAs: "client-1", registerAs: nil)
        let me = try h.identity("client-1")
        try h.start()

        let task = try registered.nextTask(within: 30)
        #expect(try intruder.nextTask(within: 5) == task)
        let second = try craftUpdate(for: task, signer: me, delta: smallDelta(count: task.parameters.count, seed: 99))
        try intruder.send(.update(second))
        usleep(500_000)  // the round stays open until the registered connection answers
        let accepted = try craftUpdate(for: task, signer: me)
        try registered.send(.update(accepted))

        let summary = try h.finish(within: 40)
        try expectRun(h, summary: summary,
                      rejections: [ExpectedRejection(round: 1, code: "identity_on_other_pipe", client: nil, claimed: "client-1",
                                                     reasonContains: "client-1 is already connected on pipe")],
                      acceptedExtra: [1: ["client-1": accepted.update]], refusedDigests: [updateDigestHex(second.update)])
    }

    /// FedAvg weights come from the shard sizes the coordinator derives from the spec, not from what a client claims:
    /// a correctly signed update claiming four billion samples is refused.
    @Test func inflatedSampleCountIsRefused() throws {
        let h = try FederationHarness(name: "inflated", rounds: 1)
        defer { h.shutdown(); h.cleanUp() }
        let evil = try h.respondent(tlsAs: "client-1", registerAs: "client-1")
        try h.start()

        let task = try evil.nextTask(within: 30)
        let poison = [Float](repeating: 0.5, count: task.parameters.count)
        let update = try craftUpdate(for: task, signer: try h.identity("client-1"), sampleCount: 4_000_000_000, delta: poison)
        try evil.send(.update(update))

        _ = try h.finish(within: 40)
        let record = try #require(try h.roundRecords().first)
        #expect(record.participants.contains("client-0"), "the honest update is accepted either way")
        #expect(record.participants == ["client-0"], "inflated update accepted with sample counts \(record.sampleCounts)")
        #expect(record.rejected.map(\.client) == ["client-1"])
        #expect(record.rejected.map(\.code) == ["wrong_sample_count"])
    }

    /// survey0 lets a respondent answer a survey once per connection, so the second update of a round comes the way a
    /// real client would resend it: client-1 answers round 1 (accepted), drops its connection, and a second connection
    /// with client-1's credentials, already connected at broadcast time, sends another correctly signed round-1 update
    /// while the round is still open (registered client-2 answers last). That one is a duplicate; in round 2 the new
    /// connection is client-1's and its update is accepted.
    @Test func secondUpdateInTheSameRoundIsDuplicate() throws {
        let h = try FederationHarness(name: "duplicate", rounds: 2, clients: 3, minClients: 3)
        defer { h.shutdown(); h.cleanUp() }
        let first = try h.respondent(tlsAs: "client-1", registerAs: "client-1")
        let second = try h.respondent(tlsAs: "client-1", registerAs: nil)
        let holder = try h.respondent(tlsAs: "client-2", registerAs: "client-2")
        let me = try h.identity("client-1")
        let other = try h.identity("client-2")
        try h.start()
        let holderTask = Background { try? holder.nextTask(within: 40) }  // answers probes meanwhile: registers

        let task1 = try first.nextTask(within: 30)
        #expect(task1.round == 1)
        let accepted = try craftUpdate(for: task1, signer: me)
        try first.send(.update(accepted))
        usleep(300_000)  // let nng write it before the connection goes
        first.close()

        let again = try second.nextTask(within: 10)
        #expect(again == task1, "the second connection was there when round 1 was broadcast")
        usleep(1_000_000)  // the coordinator sees the first connection go
        let duplicate = try craftUpdate(for: task1, signer: me, sampleCount: 999, delta: smallDelta(count: task1.parameters.count, seed: 77))
        try second.send(.update(duplicate))
        usleep(300_000)
        #expect(holderTask.wait(seconds: 10) == task1)
        let held1 = try craftUpdate(for: task1, signer: other, delta: smallDelta(count: task1.parameters.count, seed: 5))
        try holder.send(.update(held1))

        let task2 = try second.nextTask(within: 30)
        #expect(task2.round == 2)
        let next = try craftUpdate(for: task2, signer: me)
        try second.send(.update(next))
        #expect(try holder.nextTask(within: 30) == task2)
        let held2 = try craftUpdate(for: task2, signer: other, delta: smallDelta(count: task2.parameters.count, seed: 6))
        try holder.send(.update(held2))

        let summary = try h.finish(within: 40)
        try expectRun(h, summary: summary,
                      rejections: [ExpectedRejection(round: 1, code: "duplicate", client: "client-1",
                                                     reasonContains: "second update from client-1 in the same round")],
                      acceptedExtra: [1: ["client-1": accepted.update, "client-2": held1.update],
                                      2: ["client-1": next.update, "client-2": held2.update]],
                      refusedDigests: [updateDigestHex(duplicate.update)])
    }

    /// client-2's connection relays client-1's correctly signed registration (client-1 cooperates, or its signing service
    /// is reachable): under the OpenSSL engine the pipe's TLS certificate is client-2's, not the signer's, so the
    /// registration is refused (tls_identity_mismatch) and client-1 never joins; the honest client-0 runs the round alone.
    @Test(.enabled(if: TLSEngine.builtInDefault == .openssl, "mbedTLS exposes no peer certificate (docs/SECURITY.md)"))
    func registrationRelayedOverAnotherClientsConnectionIsRefused() throws {
        let h = try FederationHarness(name: "relay", rounds: 1, clients: 2, minClients: 1, roundDeadline: 3)
        defer { h.shutdown(); h.cleanUp() }
        let relay = try h.respondent(tlsAs: "client-2", registerAs: "client-1")
        try h.start()
        _ = try? relay.nextTask(within: 30)
        let summary = try h.finish(within: 40)
        let log = h.log()
        #expect(relay.registrationsSent >= 1)
        #expect(log.contains("code=tls_identity_mismatch"), "log: \(log)")
        #expect(log.contains("message signed by client-1 arrived on pipe"), "log: \(log)")
        #expect(!log.split(separator: "\n").contains { $0.contains("client registered") && $0.contains("client=client-1") },
                "log: \(log)")
        #expect(summary.participantsPerRound == [1])
        #expect(try h.roundRecords().first?.participants == ["client-0"])
    }
}
