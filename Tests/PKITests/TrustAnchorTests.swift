import Foundation
import Testing
@testable import PKI

/// Expects `body` to throw `.certificateRejected` with `reason` and OpenSSL's `detail`.
func expectRejection(_ reason: RejectionReason, detail: String, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () throws(PKIError) -> Void) {
    do {
        try body()
        Issue.record("expected rejection (\(reason)), but the certificate was accepted", sourceLocation: sourceLocation)
    } catch {
        guard case .certificateRejected(_, let found, let message) = error else {
            Issue.record("expected .certificateRejected, got \(error)", sourceLocation: sourceLocation)
            return
        }
        #expect(found == reason, sourceLocation: sourceLocation)
        #expect(message == detail, sourceLocation: sourceLocation)
    }
}

@Suite struct TrustAnchorTests {
    let anchor = Fixture.anchor

    @Test func clientCertificateIsValidForClientOnly() throws {
        try anchor.validate(Fixture.client.certificate, purpose: .client)
        expectRejection(.wrongPurpose, detail: "unsuitable certificate purpose") {
            () throws(PKIError) in try anchor.validate(Fixture.client.certificate, purpose: .server)
        }
    }

    @Test func coordinatorCertificateIsValidForServerOnly() throws {
        try anchor.validate(Fixture.server.certificate, purpose: .server)
        expectRejection(.wrongPurpose, detail: "unsuitable certificate purpose") {
            () throws(PKIError) in try anchor.validate(Fixture.server.certificate, purpose: .client)
        }
    }

    @Test func certificateFromAForeignCAIsRejectedAsUnknownIssuer() throws {
        let foreign = try CertificateIssuer.makeAuthority(commonName: "test CA", notBefore: Fixture.now - Fixture.day,
                                                          notAfter: Fixture.now + Fixture.day)
        let impostor = try foreign.issue(commonName: "client-0", purpose: .client, dnsNames: ["client-0"],
                                         notBefore: Fixture.now - Fixture.day, notAfter: Fixture.now + Fixture.day)
        expectRejection(.unknownIssuer, detail: "unable to get local issuer certificate") {
            () throws(PKIError) in try anchor.validate(impostor.certificate, purpose: .client)
        }
        // The foreign CA itself (self-signed, not ours) is not trusted either.
        expectRejection(.unknownIssuer, detail: "self-signed certificate") {
            () throws(PKIError) in try anchor.validate(foreign.certificate, purpose: .client)
        }
    }

    @Test func expiredCertificateIsRejected() throws {
        let expired = try Fixture.authority.issue(commonName: "client-old", purpose: .client,
                                                  notBefore: Fixture.now - 10 * Fixture.day, notAfter: Fixture.now - Fixture.day)
        expectRejection(.expired, detail: "certificate has expired") {
            () throws(PKIError) in try anchor.validate(expired.certificate, purpose: .client)
        }
        // ... but it was valid in the past.
        try anchor.validate(expired.certificate, purpose: .client, at: Fixture.now - 5 * Fixture.day)
    }

    @Test func notYetValidCertificateIsRejected() throws {
        let future = try Fixture.authority.issue(commonName: "client-new", purpose: .client,
                                                 notBefore: Fixture.now + Fixture.day, notAfter: Fixture.now + 10 * Fixture.day)
        expectRejection(.notYetValid, detail: "certificate is not yet valid") {
            () throws(PKIError) in try anchor.validate(future.certificate, purpose: .client)
        }
        try anchor.validate(future.certificate, purpose: .client, at: Fixture.now + 2 * Fixture.day)
    }

    @Test func validationDateIsHonouredForTheGoodCertificate() {
        expectRejection(.expired, detail: "certificate has expired") {
            () throws(PKIError) in try anchor.validate(Fixture.client.certificate, purpose: .client, at: Fixture.now + 11 * Fixture.day)
        }
        expectRejection(.notYetValid, detail: "certificate is not yet valid") {
            () throws(PKIError) in try anchor.validate(Fixture.client.certificate, purpose: .client, at: Fixture.now - 2 * Fixture.day)
        }
    }

    @Test func clientCertificateWithEmptyCommonNameIsRejected() throws {
        let nameless = try Fixture.authority.issue(commonName: "", purpose: .client, notBefore: Fixture.now - Fixture.day,
                                                   notAfter: Fixture.now + Fixture.day)
        #expect(nameless.certificate.commonName == "")
        expectRejection(.missingCommonName, detail: "a client certificate must carry a non-empty common name") {
            () throws(PKIError) in try anchor.validate(nameless.certificate, purpose: .client)
        }
    }

    @Test func certificateWithoutEKUIsRejected() throws {
        let openssl = try #require(Tool.find("openssl"), "openssl is installed by deploy/install-deps.sh")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let caCert = directory.file("ca.crt"), caKey = directory.file("ca.key")
        try Fixture.authority.certificate.pem.write(toFile: caCert, atomically: false, encoding: .utf8)
        try Fixture.authority.key.pem.write(toFile: caKey, atomically: false, encoding: .utf8)
        let key = directory.file("leaf.key"), csr = directory.file("leaf.csr"), leaf = directory.file("leaf.crt")
        try Fixture.client.key.pem.write(toFile: key, atomically: false, encoding: .utf8)
        var result = try Tool.run(openssl, ["req", "-new", "-key", key, "-subj", "/CN=client-9", "-out", csr])
        try #require(result.status == 0, "\(result.output)")
        result = try Tool.run(openssl, ["x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-days", "2",
                                        "-set_serial", "7", "-out", leaf])
        try #require(result.status == 0, "\(result.output)")
        let certificate = try Certificate(pemFile: leaf)
        #expect(certificate.extendedKeyUsages.isEmpty)
        expectRejection(.missingExtendedKeyUsage, detail: "no extended key usage clientAuth") {
            () throws(PKIError) in try anchor.validate(certificate, purpose: .client)
        }
    }

    @Test func theCACertificateItselfIsNotAClientOrServer() {
        for purpose in CertificatePurpose.allCases {
            expectRejection(.wrongPurpose, detail: "unsuitable certificate purpose") {
                () throws(PKIError) in try anchor.validate(Fixture.authority.certificate, purpose: purpose)
            }
        }
    }

    @Test func concurrentValidationGivesConsistentAnswers() async {
        let anchor = self.anchor
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<32 {
                group.addTask {
                    let purpose: CertificatePurpose = i % 2 == 0 ? .client : .server
                    do { try anchor.validate(Fixture.client.certificate, purpose: purpose); return purpose == .client }
                    catch { return purpose == .server }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.count == 32 && outcomes.allSatisfy { $0 })
    }

    @Test func anchorMustBeACA() throws {
        #expect { try TrustAnchor(certificate: Fixture.client.certificate) } throws: { error in
            guard case PKIError.invalidArgument = error else { return false }
            return true
        }
        #expect(throws: PKIError.fileNotFound(path: "/nonexistent/ca.crt")) { try TrustAnchor(caPEMFile: "/nonexistent/ca.crt") }
        #expect(throws: PKIError.emptyInput(what: "certificate")) { try TrustAnchor(caPEM: "") }
        let fromPEM = try TrustAnchor(caPEM: Fixture.authority.certificate.pem)
        try fromPEM.validate(Fixture.client.certificate, purpose: .client)
    }
}

@Suite struct AuthenticateTests {
    let anchor = Fixture.anchor
    let message = Array("register|nonce-bytes|client-0".utf8)

    @Test func goodSignedMessageIsAuthenticated() throws {
        let signature = try Fixture.client.key.sign(message)
        let certificate = try anchor.authenticate(certificateDER: Fixture.client.certificate.der, signature: signature,
                                                  over: message, claimedIdentity: "client-0")
        #expect(certificate.fingerprint == Fixture.client.certificate.fingerprint)
    }

    @Test func wrongClaimGivesIdentityMismatch() throws {
        let signature = try Fixture.client.key.sign(message)
        #expect(throws: PKIError.identityMismatch(claimed: "client-1", certificate: "client-0")) {
            try anchor.authenticate(certificateDER: Fixture.client.certificate.der, signature: signature, over: message,
                                    claimedIdentity: "client-1")
        }
    }

    @Test func signatureByAnotherKeyGivesBadSignature() throws {
        let signature = try PrivateKey.generateP256().sign(message)
        #expect(throws: PKIError.badSignature(commonName: "client-0")) {
            try anchor.authenticate(certificateDER: Fixture.client.certificate.der, signature: signature, over: message,
                                    claimedIdentity: "client-0")
        }
    }

    @Test func coordinatorCertificateCannotActAsClient() throws {
        let signature = try Fixture.server.key.sign(message)
        #expect { try anchor.authenticate(certificateDER: Fixture.server.certificate.der, signature: signature, over: message,
                                          claimedIdentity: nil) } throws: { error in
            guard case PKIError.certificateRejected(_, .wrongPurpose, _) = error else { return false }
            return true
        }
    }

    @Test func garbageCertificateGivesMalformedDERAndEmptyGivesEmptyInput() throws {
        let signature = try Fixture.client.key.sign(message)
        #expect { try anchor.authenticate(certificateDER: [0x30, 0x03, 0x01, 0x01, 0x00], signature: signature, over: message,
                                          claimedIdentity: nil) } throws: { error in
            guard case PKIError.malformedDER(what: "certificate", _) = error else { return false }
            return true
        }
        #expect(throws: PKIError.emptyInput(what: "certificate")) {
            try anchor.authenticate(certificateDER: [], signature: signature, over: message, claimedIdentity: nil)
        }
    }
}
