import Foundation
import Testing
@testable import PKI

/// Independent checks of the generated PKI with the `openssl` command-line tool (skipped when it is not installed).
@Suite(.enabled(if: Tool.find("openssl") != nil, "openssl CLI not on PATH"))
struct OpenSSLCrossCheckTests {
    let openssl = Tool.find("openssl") ?? "openssl"

    @Test func opensslVerifiesPurposesLikeTrustAnchor() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let layout = try PKIBuilder.initialize(directory: temp.path, clients: 1)
        let ca = layout.caCertificate
        let client = layout.certificate("client-0"), coordinator = layout.certificate("coordinator")

        let clientOK = try Tool.run(openssl, ["verify", "-CAfile", ca, "-purpose", "sslclient", client])
        #expect(clientOK.status == 0, "\(clientOK.output)")
        #expect(clientOK.output.contains("client-0.crt: OK"))
        let clientAsServer = try Tool.run(openssl, ["verify", "-CAfile", ca, "-purpose", "sslserver", client])
        #expect(clientAsServer.status != 0)
        #expect(clientAsServer.output.contains("unsuitable certificate purpose"), "\(clientAsServer.output)")

        #expect(try Tool.run(openssl, ["verify", "-CAfile", ca, "-purpose", "sslserver", coordinator]).status == 0)
        let serverAsClient = try Tool.run(openssl, ["verify", "-CAfile", ca, "-purpose", "sslclient", coordinator])
        #expect(serverAsClient.status != 0)
        #expect(serverAsClient.output.contains("unsuitable certificate purpose"))
    }

    @Test func opensslShowsSANsEKUsAndConstraints() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let layout = try PKIBuilder.initialize(directory: temp.path, clients: 1)

        let coordinatorSAN = try Tool.run(openssl, ["x509", "-noout", "-in", layout.certificate("coordinator"), "-ext", "subjectAltName"])
        #expect(coordinatorSAN.status == 0)
        #expect(coordinatorSAN.output.contains("DNS:localhost, DNS:coordinator, IP Address:127.0.0.1"), "\(coordinatorSAN.output)")
        let clientSAN = try Tool.run(openssl, ["x509", "-noout", "-in", layout.certificate("client-0"), "-ext", "subjectAltName"])
        #expect(clientSAN.output.contains("DNS:client-0"), "\(clientSAN.output)")

        let clientExt = try Tool.run(openssl, ["x509", "-noout", "-in", layout.certificate("client-0"),
                                               "-ext", "extendedKeyUsage,keyUsage,basicConstraints", "-subject"])
        #expect(clientExt.output.contains("TLS Web Client Authentication"), "\(clientExt.output)")
        #expect(!clientExt.output.contains("TLS Web Server Authentication"))
        #expect(clientExt.output.contains("Digital Signature"))
        #expect(clientExt.output.contains("CA:FALSE"))
        #expect(clientExt.output.contains("CN = client-0"))

        let caExt = try Tool.run(openssl, ["x509", "-noout", "-in", layout.caCertificate, "-ext", "keyUsage,basicConstraints"])
        #expect(caExt.output.contains("X509v3 Basic Constraints: critical"), "\(caExt.output)")
        #expect(caExt.output.contains("CA:TRUE"))
        #expect(caExt.output.contains("Certificate Sign, CRL Sign"))
    }

    @Test func opensslFingerprintMatches() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let path = temp.file("c.crt")
        try Fixture.client.certificate.pem.write(toFile: path, atomically: false, encoding: .utf8)
        let result = try Tool.run(openssl, ["x509", "-noout", "-fingerprint", "-sha256", "-in", path])
        let hex = result.output.split(separator: "=").last.map { $0.replacingOccurrences(of: ":", with: "").lowercased() }
        #expect(hex?.trimmingCharacters(in: .whitespacesAndNewlines) == Fixture.client.certificate.fingerprint)
    }

    @Test func opensslVerifiesOurSignatureAndWeVerifyOpensslsSignature() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let message = Array("register|nonce|client-0".utf8)
        let messageFile = temp.file("msg"), signatureFile = temp.file("sig"), publicKey = temp.file("pub.pem")
        let certFile = temp.file("c.crt"), keyFile = temp.file("c.key"), opensslSignature = temp.file("sig2")
        try Data(message).write(to: URL(fileURLWithPath: messageFile))
        try Data(try Fixture.client.key.sign(message)).write(to: URL(fileURLWithPath: signatureFile))
        try Fixture.client.certificate.pem.write(toFile: certFile, atomically: false, encoding: .utf8)
        try Fixture.client.key.pem.write(toFile: keyFile, atomically: false, encoding: .utf8)
        try #require(try Tool.run(openssl, ["x509", "-in", certFile, "-pubkey", "-noout", "-out", publicKey]).status == 0)
        let verified = try Tool.run(openssl, ["dgst", "-sha256", "-verify", publicKey, "-signature", signatureFile, messageFile])
        #expect(verified.status == 0 && verified.output.contains("Verified OK"), "\(verified.output)")

        try #require(try Tool.run(openssl, ["dgst", "-sha256", "-sign", keyFile, "-out", opensslSignature, messageFile]).status == 0)
        let theirs = try [UInt8](Data(contentsOf: URL(fileURLWithPath: opensslSignature)))
        #expect(Fixture.client.certificate.verifySignature(theirs, over: message))
        #expect(!Fixture.server.certificate.verifySignature(theirs, over: message))
    }
}
