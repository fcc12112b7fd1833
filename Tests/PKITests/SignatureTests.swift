import Foundation
import Testing
@testable import PKI

@Suite struct SignatureTests {
    let message = Array("round 7 nonce 00112233 client-0 digests".utf8)

    @Test func signThenVerifyWithTheMatchingCertificate() throws {
        let signature = try Fixture.client.key.sign(message)
        #expect(signature.first == 0x30, "a DER ECDSA signature is an ASN.1 SEQUENCE")
        #expect((8...72).contains(signature.count))
        #expect(Fixture.client.certificate.verifySignature(signature, over: message))
    }

    @Test func ecdsaSignaturesAreRandomizedButAllVerify() throws {
        let first = try Fixture.client.key.sign(message)
        let second = try Fixture.client.key.sign(message)
        #expect(first != second)
        #expect(Fixture.client.certificate.verifySignature(second, over: message))
    }

    @Test func tamperedMessageIsRejected() throws {
        let signature = try Fixture.client.key.sign(message)
        for index in [0, message.count / 2, message.count - 1] {
            var tampered = message
            tampered[index] ^= 0x01
            #expect(!Fixture.client.certificate.verifySignature(signature, over: tampered), "flipped byte \(index)")
        }
        #expect(!Fixture.client.certificate.verifySignature(signature, over: message + [0]))
        #expect(!Fixture.client.certificate.verifySignature(signature, over: []))
    }

    @Test func tamperedSignatureIsRejected() throws {
        let signature = try Fixture.client.key.sign(message)
        var tampered = signature
        tampered[tampered.count - 1] ^= 0x01          // last byte of s
        #expect(!Fixture.client.certificate.verifySignature(tampered, over: message))
        #expect(!Fixture.client.certificate.verifySignature(Array(signature.dropLast()), over: message))
        #expect(!Fixture.client.certificate.verifySignature([], over: message))
        #expect(!Fixture.client.certificate.verifySignature([UInt8](repeating: 0x30, count: 70), over: message))
    }

    @Test func signatureByAnotherKeyDoesNotVerify() throws {
        let other = try PrivateKey.generateP256()
        let signature = try other.sign(message)
        #expect(!Fixture.client.certificate.verifySignature(signature, over: message))
        #expect(!Fixture.server.certificate.verifySignature(try Fixture.client.key.sign(message), over: message))
    }

    @Test func signingTheEmptyMessageWorks() throws {
        let signature = try Fixture.server.key.sign([])
        #expect(Fixture.server.certificate.verifySignature(signature, over: []))
    }

    @Test func certificateMatchesOnlyItsOwnKey() throws {
        #expect(Fixture.client.certificate.matches(Fixture.client.key))
        #expect(!Fixture.client.certificate.matches(Fixture.server.key))
    }

    @Test func concurrentSigningAndVerifyingIsSafe() async throws {
        let key = Fixture.client.key
        let certificate = Fixture.client.certificate
        let message = self.message
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<16 {
                group.addTask {
                    let m = message + [UInt8(i)]
                    return certificate.verifySignature(try key.sign(m), over: m)
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 16 && results.allSatisfy { $0 })
    }
}

@Suite struct PrivateKeyTests {
    @Test func pemIsPKCS8AndRoundTrips() throws {
        let key = try PrivateKey.generateP256()
        let pem = key.pem
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(pem.hasSuffix("-----END PRIVATE KEY-----\n"))
        let reloaded = try PrivateKey(pem: pem)
        #expect(reloaded.pem == pem)
        #expect(reloaded.publicKeyDER == key.publicKeyDER)
        let message = Array("hello".utf8)
        let certificate = try Fixture.authority.issue(commonName: "k", purpose: .client, notBefore: Fixture.now,
                                                      notAfter: Fixture.now + Fixture.day, key: key).certificate
        #expect(certificate.verifySignature(try reloaded.sign(message), over: message))
    }

    @Test func publicKeyDERIsAP256SubjectPublicKeyInfo() throws {
        let der = try PrivateKey.generateP256().publicKeyDER
        #expect(der.count == 91)     // SEQUENCE { AlgorithmIdentifier(ecPublicKey, prime256v1), BIT STRING 04||X||Y }
        #expect(Array(der.suffix(65)).first == 0x04)
    }

    @Test func emptyPEMGivesEmptyInput() {
        #expect(throws: PKIError.emptyInput(what: "private key")) { try PrivateKey(pem: "") }
        #expect(throws: PKIError.emptyInput(what: "private key")) { try PrivateKey(pem: " \n\t") }
    }

    @Test func garbagePEMGivesMalformedPEM() {
        #expect { try PrivateKey(pem: "this is not a key") } throws: { error in
            guard case PKIError.malformedPEM(what: "private key", _) = error else { return false }
            return true
        }
        // A certificate is not a key.
        #expect { try PrivateKey(pem: Fixture.client.certificate.pem) } throws: { error in
            guard case PKIError.malformedPEM(what: "private key", _) = error else { return false }
            return true
        }
    }

    @Test func nonP256KeyGivesUnsupportedKey() throws {
        let openssl = try #require(Tool.find("openssl"), "openssl is installed by deploy/install-deps.sh")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let p384 = directory.file("p384.key")
        let made = try Tool.run(openssl, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", p384])
        try #require(made.status == 0, "\(made.output)")
        #expect(throws: PKIError.unsupportedKey(found: "EC secp384r1")) { try PrivateKey(pemFile: p384) }
        let ed = directory.file("ed.key")
        try #require(try Tool.run(openssl, ["genpkey", "-algorithm", "ED25519", "-out", ed]).status == 0)
        #expect(throws: PKIError.unsupportedKey(found: "ED25519")) { try PrivateKey(pemFile: ed) }
    }

    @Test func encryptedKeyIsRefusedWithoutPrompting() throws {
        let openssl = try #require(Tool.find("openssl"), "openssl is installed by deploy/install-deps.sh")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plain = directory.file("plain.key"), encrypted = directory.file("encrypted.key")
        try Fixture.client.key.pem.write(toFile: plain, atomically: false, encoding: .utf8)
        let made = try Tool.run(openssl, ["pkcs8", "-topk8", "-in", plain, "-out", encrypted, "-passout", "pass:secret"])
        try #require(made.status == 0, "\(made.output)")
        #expect { try PrivateKey(pemFile: encrypted) } throws: { error in
            guard case PKIError.malformedPEM(what: "private key", _) = error else { return false }
            return true
        }
    }

    @Test func missingFileGivesFileNotFound() {
        #expect(throws: PKIError.fileNotFound(path: "/nonexistent/pki/client-0.key")) {
            try PrivateKey(pemFile: "/nonexistent/pki/client-0.key")
        }
    }

    @Test func emptyFileGivesEmptyInput() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("empty.key")
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        #expect(throws: PKIError.emptyInput(what: "private key (\(path))")) { try PrivateKey(pemFile: path) }
    }

    @Test func directoryGivesFileUnreadable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect { try PrivateKey(pemFile: directory.path) } throws: { error in
            guard case PKIError.fileUnreadable(path: directory.path, errno: EISDIR) = error else { return false }
            return true
        }
    }
}
