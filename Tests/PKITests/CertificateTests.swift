import Foundation
import Testing
@testable import PKI

@Suite struct CertificateTests {
    @Test func pemRoundTripPreservesTheDER() throws {
        let original = Fixture.client.certificate
        let pem = original.pem
        #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        #expect(pem.hasSuffix("-----END CERTIFICATE-----\n"))
        let reloaded = try Certificate(pem: pem)
        #expect(reloaded.der == original.der)
        #expect(reloaded.pem == pem)
    }

    @Test func derRoundTripAndPEMIsBase64OfDER() throws {
        let original = Fixture.server.certificate
        let der = original.der
        #expect(der.first == 0x30)
        let reloaded = try Certificate(der: der)
        #expect(reloaded.der == der)
        let body = original.pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        #expect(Data(base64Encoded: body).map { [UInt8]($0) } == der)
    }

    @Test func fingerprintIsWhatOpenSSLCallsTheSHA256Fingerprint() throws {
        let openssl = try #require(Tool.find("openssl"), "openssl is installed by deploy/install-deps.sh")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for certificate in [Fixture.client.certificate, Fixture.server.certificate] {
            let file = directory.file("c.crt")
            try certificate.pem.write(toFile: file, atomically: false, encoding: .utf8)
            let result = try Tool.run(openssl, ["x509", "-in", file, "-noout", "-fingerprint", "-sha256"])
            try #require(result.status == 0, "\(result.output)")
            // "sha256 Fingerprint=AB:CD:…" (the label's case differs between OpenSSL versions)
            let hex = try #require(result.output.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(certificate.fingerprint == hex.replacingOccurrences(of: ":", with: "").lowercased())
        }
        #expect(Fixture.client.certificate.fingerprint != Fixture.server.certificate.fingerprint)
    }

    @Test func fieldsOfAnIssuedCertificate() throws {
        let notBefore = Date(timeIntervalSince1970: 1_700_000_000)
        let notAfter = Date(timeIntervalSince1970: 1_800_000_000)
        let issued = try Fixture.authority.issue(commonName: "coordinator", purpose: .server,
                                                 dnsNames: ["localhost", "coord.example"], ipAddresses: ["127.0.0.1", "::1"],
                                                 notBefore: notBefore, notAfter: notAfter).certificate
        #expect(issued.commonName == "coordinator")
        #expect(issued.issuerCommonName == "test CA")
        #expect(issued.subject == "CN=coordinator,O=fedattr")
        #expect(issued.notBefore == notBefore)
        #expect(issued.notAfter == notAfter)
        #expect(issued.dnsNames == ["localhost", "coord.example"])
        #expect(issued.ipAddresses == ["127.0.0.1", "::1"])
        #expect(issued.extendedKeyUsages == [.server])
        #expect(!issued.isCertificateAuthority)
        #expect(issued.serialNumberHex.count == 32)
    }

    @Test func serialsAreRandomAndPositive() throws {
        let serials = try (0..<4).map { i in
            try Fixture.authority.issue(commonName: "s\(i)", purpose: .client, notBefore: Fixture.now,
                                        notAfter: Fixture.now + Fixture.day).certificate.serialNumberHex
        }
        #expect(Set(serials).count == 4)
        for serial in serials { #expect(Int(serial.prefix(1), radix: 16)! < 8, "top bit clear: \(serial)") }
    }

    @Test func authorityHasCAConstraintsAndNoEKU() {
        let ca = Fixture.authority.certificate
        #expect(ca.isCertificateAuthority)
        #expect(ca.commonName == "test CA")
        #expect(ca.issuerCommonName == "test CA")
        #expect(ca.extendedKeyUsages.isEmpty)
        #expect(!Fixture.client.certificate.isCertificateAuthority)
    }

    @Test func utf8CommonNameSurvives() throws {
        let cert = try Fixture.authority.issue(commonName: "клиент-α", purpose: .client, notBefore: Fixture.now,
                                               notAfter: Fixture.now + Fixture.day).certificate
        #expect(try Certificate(der: cert.der).commonName == "клиент-α")
    }

    @Test func bundleWithKeyAfterCertificateLoadsBoth() throws {
        let bundle = Fixture.client.bundlePEM
        #expect(try Certificate(pem: bundle).der == Fixture.client.certificate.der)
        #expect(try PrivateKey(pem: bundle).pem == Fixture.client.key.pem)
    }

    @Test func emptyInputsGiveEmptyInput() {
        #expect(throws: PKIError.emptyInput(what: "certificate")) { try Certificate(pem: "") }
        #expect(throws: PKIError.emptyInput(what: "certificate")) { try Certificate(pem: "\n\n") }
        #expect(throws: PKIError.emptyInput(what: "certificate")) { try Certificate(der: []) }
    }

    @Test func garbagePEMGivesMalformedPEM() {
        for text in ["garbage", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", Fixture.client.key.pem] {
            #expect { try Certificate(pem: text) } throws: { error in
                guard case PKIError.malformedPEM(what: "certificate", let detail) = error else { return false }
                return !detail.isEmpty
            }
        }
    }

    @Test func garbageOrTruncatedDERGivesMalformedDER() {
        let der = Fixture.client.certificate.der
        for bytes in [[0x01, 0x02, 0x03], Array(der.prefix(der.count - 1)), der + [0x00]] {
            #expect { try Certificate(der: bytes) } throws: { error in
                guard case PKIError.malformedDER(what: "certificate", _) = error else { return false }
                return true
            }
        }
    }

    @Test func missingFileGivesFileNotFound() {
        #expect(throws: PKIError.fileNotFound(path: "/nonexistent/ca.crt")) { try Certificate(pemFile: "/nonexistent/ca.crt") }
    }

    @Test func emptyFileGivesEmptyInput() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("empty.crt")
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        #expect(throws: PKIError.emptyInput(what: "certificate (\(path))")) { try Certificate(pemFile: path) }
    }

    @Test func garbageFileGivesMalformedPEMNamingTheFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("junk.crt")
        try "junk".write(toFile: path, atomically: false, encoding: .utf8)
        #expect { try Certificate(pemFile: path) } throws: { error in
            guard case PKIError.malformedPEM(what: "certificate", let detail) = error else { return false }
            return detail.hasPrefix(path)
        }
    }

    @Test func errorDescriptionsAreReadable() {
        #expect(PKIError.fileNotFound(path: "/x/ca.crt").description == "no such file: /x/ca.crt")
        #expect(PKIError.fileExists(path: "/x/ca.key").description.contains("refusing to overwrite"))
        let rejected = PKIError.certificateRejected(commonName: "client-0", reason: .expired, detail: "certificate has expired")
        #expect(rejected.description == "certificate 'client-0' rejected (expired): certificate has expired")
    }

    @Test func issuerRejectsBadArguments() {
        let a = Fixture.authority
        #expect { try a.issue(commonName: "x", purpose: .client, dnsNames: ["bad name,DNS:evil"], notBefore: Fixture.now,
                              notAfter: Fixture.now + 1) } throws: { error in
            guard case PKIError.invalidArgument = error else { return false }
            return true
        }
        #expect { try a.issue(commonName: "x", purpose: .client, ipAddresses: ["300.1.1.1"], notBefore: Fixture.now,
                              notAfter: Fixture.now + 1) } throws: { error in
            guard case PKIError.invalidArgument = error else { return false }
            return true
        }
        #expect { try a.issue(commonName: "x", purpose: .client, notBefore: Fixture.now, notAfter: Fixture.now) } throws: { error in
            guard case PKIError.invalidArgument = error else { return false }
            return true
        }
    }

    @Test func issuerRefusesAKeyThatDoesNotMatchTheCA() throws {
        #expect(throws: PKIError.keyMismatch(commonName: "test CA")) {
            try CertificateIssuer(certificate: Fixture.authority.certificate, key: PrivateKey.generateP256())
        }
        #expect { try CertificateIssuer(certificate: Fixture.client.certificate, key: Fixture.client.key) } throws: { error in
            guard case PKIError.invalidArgument = error else { return false }
            return true
        }
    }
}
