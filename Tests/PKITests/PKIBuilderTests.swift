import Foundation
import Testing
@testable import PKI

private func mode(_ path: String) -> mode_t? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

@Suite(.serialized) struct PKIBuilderTests {
    @Test func initializeWritesTheLayoutWithModesNamesSANsAndEKUs() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let directory = temp.file("pki")     // does not exist yet: the builder creates it 0700
        // A restrictive umask must not change the modes (they are set explicitly).
        let previous = umask(0o077)
        let layout: PKILayout
        do {
            defer { umask(previous) }
            layout = try PKIBuilder.initialize(directory: directory, clients: 3)
        }
        #expect(layout == PKILayout(directory: directory))
        #expect(mode(directory) == 0o700)
        let names = ["coordinator", "client-0", "client-1", "client-2"]
        var expectedFiles = ["ca.crt", "ca.key"]
        for name in names { expectedFiles += ["\(name).crt", "\(name).key", "\(name).pem"] }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == expectedFiles.sorted())
        #expect(mode(layout.caKey) == 0o600)
        #expect(mode(layout.caCertificate) == 0o644)
        for name in names {
            #expect(mode(layout.key(name)) == 0o600, "\(name).key")
            #expect(mode(layout.bundle(name)) == 0o600, "\(name).pem")
            #expect(mode(layout.certificate(name)) == 0o644, "\(name).crt")
        }

        let anchor = try TrustAnchor(caPEMFile: layout.caCertificate)
        #expect(try Certificate(pemFile: layout.caCertificate).isCertificateAuthority)
        #expect(try CertificateIssuer(certificateFile: layout.caCertificate, keyFile: layout.caKey).certificate.der
                == anchor.certificate.der)

        let coordinator = try Certificate(pemFile: layout.certificate("coordinator"))
        #expect(coordinator.commonName == "coordinator")
        #expect(coordinator.dnsNames == ["localhost", "coordinator"])
        #expect(coordinator.ipAddresses == ["127.0.0.1"])
        #expect(coordinator.extendedKeyUsages == [.server])
        try anchor.validate(coordinator, purpose: .server)
        #expect(throws: PKIError.self) { try anchor.validate(coordinator, purpose: .client) }

        for i in 0..<3 {
            let name = "client-\(i)"
            let certificate = try Certificate(pemFile: layout.certificate(name))
            #expect(certificate.commonName == name)
            #expect(certificate.dnsNames == [name])
            #expect(certificate.ipAddresses.isEmpty)
            #expect(certificate.extendedKeyUsages == [.client])
            try anchor.validate(certificate, purpose: .client)
            #expect(throws: PKIError.self) { try anchor.validate(certificate, purpose: .server) }
            // The bundle is certificate then key, and they belong together.
            let bundle = try String(contentsOfFile: layout.bundle(name), encoding: .utf8)
            #expect(bundle.hasPrefix("-----BEGIN CERTIFICATE-----"))
            #expect(bundle.hasSuffix("-----END PRIVATE KEY-----\n"))
            let key = try PrivateKey(pemFile: layout.key(name))
            #expect(try Certificate(pemFile: layout.bundle(name)).der == certificate.der)
            #expect(try PrivateKey(pemFile: layout.bundle(name)).pem == key.pem)
            #expect(certificate.matches(key))
            let message = Array("nonce|\(i)".utf8)
            #expect(certificate.verifySignature(try key.sign(message), over: message))
        }
        // Validity: about a year, starting slightly in the past.
        let leaf = try Certificate(pemFile: layout.certificate("client-0"))
        #expect(abs(leaf.notAfter.timeIntervalSince(leaf.notBefore) - (365 * 86_400 + 300)) < 2)
        #expect(leaf.notBefore < Date())
    }

    @Test func customHostNamesAndValidity() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let layout = try PKIBuilder.initialize(directory: temp.path, clients: 1, hostNames: ["fl.example", "localhost"], validDays: 2)
        let coordinator = try Certificate(pemFile: layout.certificate("coordinator"))
        #expect(coordinator.dnsNames == ["fl.example", "localhost"])
        #expect(coordinator.ipAddresses == ["127.0.0.1"])
        #expect(abs(coordinator.notAfter.timeIntervalSinceNow - 2 * 86_400) < 60)
        #expect(!FileManager.default.fileExists(atPath: layout.certificate("client-1")))
    }

    @Test func hostsAreAddedToTheDefaultNamesAndIPAddressesBecomeIPSANs() throws {
        let names = PKIBuilder.CoordinatorNames(adding: ["fl.example", "10.0.0.5", "FL.example", " ", "localhost", "::1", "10.0.0.5"])
        #expect(names.dnsNames == ["localhost", "coordinator", "fl.example"])
        #expect(names.ipAddresses == ["127.0.0.1", "10.0.0.5", "::1"])
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let layout = try PKIBuilder.initialize(directory: temp.path, clients: 0, hostNames: names.dnsNames, ipAddresses: names.ipAddresses)
        let coordinator = try Certificate(pemFile: layout.certificate("coordinator"))
        #expect(coordinator.dnsNames == ["localhost", "coordinator", "fl.example"])
        #expect(coordinator.ipAddresses == ["127.0.0.1", "10.0.0.5", "::1"])
    }

    @Test func existingCAIsNotOverwrittenWithoutForce() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let layout = try PKIBuilder.initialize(directory: temp.path, clients: 2)
        let originalCA = try String(contentsOfFile: layout.caCertificate, encoding: .utf8)
        let originalKey = try String(contentsOfFile: layout.caKey, encoding: .utf8)
        #expect(throws: PKIError.fileExists(path: layout.caCertificate)) {
            try PKIBuilder.initialize(directory: temp.path, clients: 2)
        }
        #expect(try String(contentsOfFile: layout.caCertificate, encoding: .utf8) == originalCA)
        #expect(try String(contentsOfFile: layout.caKey, encoding: .utf8) == originalKey)

        try PKIBuilder.initialize(directory: temp.path, clients: 1, force: true)
        let newCA = try String(contentsOfFile: layout.caCertificate, encoding: .utf8)
        #expect(newCA != originalCA)
        #expect(mode(layout.caKey) == 0o600)
        // Credentials of the old CA are gone; the new ones chain to the new CA.
        #expect(!FileManager.default.fileExists(atPath: layout.certificate("client-1")))
        try TrustAnchor(caPEM: newCA).validate(try Certificate(pemFile: layout.certificate("client-0")), purpose: .client)
    }

    @Test func issueClientAddsALateJoinerFromTheExistingCA() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let layout = try PKIBuilder.initialize(directory: temp.path, clients: 1)
        let credential = try PKIBuilder.issueClient(directory: temp.path, name: "client-7")
        let onDisk = try Certificate(pemFile: layout.certificate("client-7"))
        #expect(onDisk.der == credential.certificate.der)
        #expect(onDisk.commonName == "client-7")
        #expect(onDisk.dnsNames == ["client-7"])
        #expect(mode(layout.key("client-7")) == 0o600)
        #expect(mode(layout.bundle("client-7")) == 0o600)
        try TrustAnchor(caPEMFile: layout.caCertificate).validate(onDisk, purpose: .client)

        #expect(throws: PKIError.fileExists(path: layout.certificate("client-7"))) {
            try PKIBuilder.issueClient(directory: temp.path, name: "client-7")
        }
        #expect { try PKIBuilder.issueClient(directory: temp.path, name: "../evil") } throws: { error in
            guard case PKIError.invalidArgument = error else { return false }
            return true
        }
    }

    @Test func issueClientWithoutACAGivesFileNotFound() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        #expect(throws: PKIError.fileNotFound(path: temp.file("ca.crt"))) {
            try PKIBuilder.issueClient(directory: temp.path, name: "client-0")
        }
    }

    @Test func badArgumentsGiveInvalidArgument() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        for call in [{ try PKIBuilder.initialize(directory: temp.path, clients: -1) },
                     { try PKIBuilder.initialize(directory: temp.path, clients: 1, validDays: 0) },
                     { try PKIBuilder.initialize(directory: temp.path, clients: 1, hostNames: ["bad host"]) }] {
            #expect { _ = try call() } throws: { error in
                guard case PKIError.invalidArgument = error else { return false }
                return true
            }
        }
        #expect(!FileManager.default.fileExists(atPath: temp.file("ca.crt")), "nothing written when arguments are bad")
    }

    @Test func directoryPathThatIsAFileGivesFileWriteFailed() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let path = temp.file("file")
        _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
        #expect(throws: PKIError.fileWriteFailed(path: path, errno: ENOTDIR)) {
            try PKIBuilder.initialize(directory: path, clients: 1)
        }
    }
}
