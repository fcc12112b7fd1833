import Foundation
import Testing
@testable import Federation
import PKI
import Wire

@Suite struct IdentityVerifierTests {
    @Test func aClientIDKeepsTheCertificateItFirstUsedForTheRun() throws {
        let dir = ProcessHarness.temporaryDirectory("pin")
        let layout = try PKIBuilder.initialize(directory: dir, clients: 1)
        let verifier = IdentityVerifier(trust: try TrustAnchor(caPEMFile: layout.caCertificate))
        let nonce = [UInt8](repeating: 7, count: 32)
        let message = RegisterMessage.signingBytes(nonce: nonce, clientID: "client-0")

        let first = try Certificate(pemFile: layout.certificate("client-0"))
        let firstKey = try PrivateKey(pemFile: layout.key("client-0"))
        let accepted = verifier.verify(claimedID: "client-0", certificateDER: first.der, signature: try firstKey.sign(message), signedBytes: message)
        #expect((try? accepted.get())?.fingerprint == first.fingerprint)

        // A second, equally valid certificate for the same name (reissued by the CA) is refused in this run.
        let second = try PKIBuilder.issueClient(directory: dir, name: "client-0", force: true)
        let refused = verifier.verify(claimedID: "client-0", certificateDER: second.certificate.der,
                                      signature: try second.key.sign(message), signedBytes: message)
        #expect(refused.rejection == .certificateChanged(client: "client-0", pinned: first.fingerprint, presented: second.certificate.fingerprint))

        // The pinned certificate still works.
        let again = verifier.verify(claimedID: "client-0", certificateDER: first.der, signature: try firstKey.sign(message), signedBytes: message)
        #expect(again.rejection == nil)
    }

    @Test func garbageCertificateAndWrongNameAreRefusedWithTheirReasons() throws {
        let dir = ProcessHarness.temporaryDirectory("pin2")
        let layout = try PKIBuilder.initialize(directory: dir, clients: 2)
        let verifier = IdentityVerifier(trust: try TrustAnchor(caPEMFile: layout.caCertificate))
        let message = RegisterMessage.signingBytes(nonce: [UInt8](repeating: 1, count: 32), clientID: "client-0")
        let key = try PrivateKey(pemFile: layout.key("client-1"))
        let cert = try Certificate(pemFile: layout.certificate("client-1"))
        #expect(verifier.verify(claimedID: "client-0", certificateDER: [1, 2, 3], signature: try key.sign(message), signedBytes: message).rejection?.code == "bad_certificate")
        #expect(verifier.verify(claimedID: "client-0", certificateDER: cert.der, signature: try key.sign(message), signedBytes: message).rejection
                == .identityMismatch(claimed: "client-0", certificate: "client-1"))
    }
}

extension Result where Failure == Rejection {
    var rejection: Rejection? {
        if case let .failure(r) = self { return r }
        return nil
    }
}
