import Foundation
import PKI
import Testing
import Transport
@testable import Federation

/// Real `fedattr coordinator` and `fedattr client` processes on 127.0.0.1: a client that cannot complete the mutual TLS
/// handshake (plaintext, certificate from a foreign CA, expired certificate) never registers, and the coordinator gives up
/// after its registration timeout with a non-zero exit. A control run with the right credentials registers and finishes.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct TLSRefusalTests {
    enum Offender: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// Dials tcp:// (no TLS at all) with valid files.
        case plaintext
        /// Presents a client-0 certificate issued by another CA (its ca.crt is the real one, so it trusts the server).
        case foreignCA
        /// Presents a client-0 certificate from the real CA whose validity ended yesterday.
        case expiredCertificate

        var testDescription: String { rawValue }
    }

    /// The coordinator's flags for a 1-client federation on `port` that waits `registrationTimeout` seconds.
    static func coordinatorArguments(port: Int, pki: String, out: String, registrationTimeout: Int) -> [String] {
        ["coordinator", "--listen", "tls+tcp://127.0.0.1:\(port)", "--pki-dir", pki, "--clients", "1", "--min-clients", "1",
         "--registration-timeout", "\(registrationTimeout)", "--rounds", "1", "--round-deadline", "20",
         "--dataset", "synthetic", "--synthetic-count", "600", "--validation-size", "100", "--test-size", "100",
         "--partition", "iid", "--model", "mlp:16", "--evaluators", "loo",
         "--out", out, "--log-file", out + "/coordinator.log", "--log-level", "debug"]
    }

    static func clientArguments(url: String, pki: String, log: String) -> [String] {
        ["client", "--id", "client-0", "--coordinator", url, "--pki-dir", pki, "--log-file", log, "--log-level", "debug"]
    }

    /// A client PKI directory holding the real ca.crt and client-0.{crt,key,pem} made by `credential`.
    static func clientDirectory(_ path: String, realCA: String, credential: Credential) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: realCA, toPath: path + "/ca.crt")
        let layout = PKILayout(directory: path)
        try credential.certificate.pem.write(toFile: layout.certificate("client-0"), atomically: true, encoding: .utf8)
        try credential.key.pem.write(toFile: layout.key("client-0"), atomically: true, encoding: .utf8)
        try credential.bundlePEM.write(toFile: layout.bundle("client-0"), atomically: true, encoding: .utf8)
    }

    @Test(arguments: Offender.allCases)
    func clientFailingTheHandshakeNeverRegisters(_ offender: Offender) throws {
        let dir = try TemporaryDirectory("tls-\(offender.rawValue)")
        defer { dir.remove() }
        let pki = try PKIBuilder.initialize(directory: dir.path + "/pki", clients: 1)
        let out = dir.path + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let port = try LocalCluster.freePort()

        var url = "tls+tcp://127.0.0.1:\(port)"
        var clientPKI = pki.directory
        switch offender {
        case .plaintext:
            url = "tcp://127.0.0.1:\(port)"
        case .foreignCA:
            let foreign = try PKIBuilder.initialize(directory: dir.path + "/foreign", clients: 1)
            let credential = Credential(certificate: try Certificate(pemFile: foreign.certificate("client-0")),
                                        key: try PrivateKey(pemFile: foreign.key("client-0")))
            #expect(credential.certificate.commonName == "client-0")
            clientPKI = dir.path + "/client"
            try Self.clientDirectory(clientPKI, realCA: pki.caCertificate, credential: credential)
        case .expiredCertificate:
            let authority = try CertificateIssuer(certificateFile: pki.caCertificate, keyFile: pki.caKey)
            let now = Date()
            let credential = try authority.issue(commonName: "client-0", purpose: .client, dnsNames: ["client-0"],
                                                 notBefore: now.addingTimeInterval(-10 * 86_400), notAfter: now.addingTimeInterval(-86_400))
            let trust = try TrustAnchor(caPEMFile: pki.caCertificate)
            #expect(throws: PKIError.self, "the certificate is really expired") { try trust.validate(credential.certificate, purpose: .client) }
            clientPKI = dir.path + "/client"
            try Self.clientDirectory(clientPKI, realCA: pki.caCertificate, credential: credential)
        }

        let coordinator = try DaemonProcess(
            name: "coordinator", arguments: Self.coordinatorArguments(port: port, pki: pki.directory, out: out, registrationTimeout: 4),
            directory: out)
        defer { coordinator.stop() }
        // Start the client only once the coordinator listens, so that its dial reaches the TLS listener.
        try #require(ProcessHarness.eventually(timeout: 30) { read(out + "/coordinator.log").contains("msg=listening") },
                     "coordinator listening; stderr: \(coordinator.standardError)")
        let clientLog = out + "/client.log"
        let client = try DaemonProcess(name: "client", arguments: Self.clientArguments(url: url, pki: clientPKI, log: clientLog),
                                       directory: out)
        defer { client.stop() }

        let status = coordinator.waitForExit(seconds: 40)
        let coordinatorLog = read(out + "/coordinator.log")
        try #require(status != nil, "coordinator still running 40 s after start; log:\n\(coordinatorLog)")
        #expect(status != 0)
        #expect(coordinator.standardError.contains("only 0 of the 1 required clients registered within"),
                "stderr: \(coordinator.standardError)")
        #expect(coordinatorLog.contains("msg=listening"), "log: \(coordinatorLog)")
        #expect(!coordinatorLog.contains("client registered"), "log: \(coordinatorLog)")
        // Refused in the TLS handshake itself: nng never made a connection (pipe) of it.
        #expect(!coordinatorLog.contains("msg=\"pipe added\""), "log: \(coordinatorLog)")
        #expect(!FileManager.default.fileExists(atPath: out + "/summary.json"))
        // The coordinator (OpenSSL engine, the default) logs why, and who presented what.
        if TLSEngine.builtInDefault == .openssl {
            let refusal = coordinatorLog.split(separator: "\n").first { $0.contains("msg=\"TLS handshake refused\"") }
            #expect(refusal != nil, "no refusal logged: \(coordinatorLog)")
            let line = String(refusal ?? "")
            switch offender {
            case .plaintext:
                #expect(line.contains("subject=none") && line.contains("peer=127.0.0.1:"), "\(line)")
            case .foreignCA:
                #expect(line.contains("unable to get local issuer certificate") && line.contains("CN=client-0")
                        && line.contains("fingerprint="), "\(line)")
            case .expiredCertificate:
                #expect(line.contains("certificate has expired") && line.contains("CN=client-0") && line.contains("fingerprint="), "\(line)")
            }
        }

        // The client keeps retrying in the background and never gets a connection, so it never sees a probe.
        #expect(client.isRunning, "a refused client keeps retrying; stderr: \(client.standardError)")
        client.stop()
        let log = read(clientLog)
        #expect(log.contains("msg=\"client started\""), "client log: \(log)")
        // It reached the listener and was refused in the handshake, and it says so: not a timeout or a bad address.
        let refusal = log.split(separator: "\n").first { $0.contains("msg=\"cannot connect to coordinator yet; retrying in the background\"") }
        // Under TLS 1.3 the server refuses a client certificate after the client's side of the handshake is done; the
        // engine keeps the connection until the client has read the alert, so the client names the refusal.
        let expectedError = offender == .plaintext ? "error=\"connection shut by peer\"" : "error=\"TLS handshake refused"
        #expect(refusal?.contains(expectedError) == true, "client log: \(log)")
        #expect(refusal?.contains("hint=") == true, "the refusal comes with what to check: \(log)")
        #expect(!log.contains("connected to coordinator"), "client log: \(log)")
        #expect(!log.contains("data shard loaded") && !log.contains("registration sent"), "client log: \(log)")
    }

    /// A path that swallows everything (here: a TCP listener that accepts and never answers the TLS handshake, as a
    /// firewall dropping packets looks to the client) gets a warning after 10 s instead of silence until TCP gives up.
    @Test func aCoordinatorThatNeverAnswersIsReportedAfterTenSeconds() throws {
        let dir = try TemporaryDirectory("tls-silent")
        defer { dir.remove() }
        let pki = try PKIBuilder.initialize(directory: dir.path + "/pki", clients: 1)
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        try #require(bound && listen(listener, 4) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let clientLog = dir.path + "/client.log"
        let client = try DaemonProcess(name: "client", arguments: Self.clientArguments(url: "tls+tcp://127.0.0.1:\(port)", pki: pki.directory, log: clientLog),
                                       directory: dir.path)
        defer { client.stop() }
        let warned = ProcessHarness.eventually(timeout: 40) { read(clientLog).contains("msg=\"no answer from the coordinator yet; still trying\"") }
        #expect(warned, "client log: \(read(clientLog))")
        #expect(read(clientLog).contains("hint=\"nothing answered at all"), "client log: \(read(clientLog))")
        #expect(!read(clientLog).contains("connected to coordinator"))
    }

    /// The same set-up with the real client-0 credentials registers, runs its round and exits 0: the refusals above come
    /// from the credentials, not from the harness.
    @Test func controlClientWithRealCredentialsRegisters() throws {
        let dir = try TemporaryDirectory("tls-control")
        defer { dir.remove() }
        let pki = try PKIBuilder.initialize(directory: dir.path + "/pki", clients: 1)
        let out = dir.path + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let port = try LocalCluster.freePort()

        let coordinator = try DaemonProcess(
            name: "coordinator", arguments: Self.coordinatorArguments(port: port, pki: pki.directory, out: out, registrationTimeout: 20),
            directory: out)
        defer { coordinator.stop() }
        let clientLog = out + "/client.log"
        let client = try DaemonProcess(
            name: "client", arguments: Self.clientArguments(url: "tls+tcp://127.0.0.1:\(port)", pki: pki.directory, log: clientLog),
            directory: out)
        defer { client.stop() }

        let status = coordinator.waitForExit(seconds: 40)
        let coordinatorLog = read(out + "/coordinator.log")
        try #require(status != nil, "coordinator still running 40 s after start; log:\n\(coordinatorLog)")
        #expect(status == 0, "stderr: \(coordinator.standardError)")
        #expect(coordinatorLog.contains("msg=\"client registered\"") && coordinatorLog.contains("client=client-0"), "log: \(coordinatorLog)")
        #expect(coordinatorLog.contains("msg=\"federation finished\""), "log: \(coordinatorLog)")
        #expect(coordinatorLog.contains("msg=\"pipe added\""), "log: \(coordinatorLog)")
        client.stop()
        let log = read(clientLog)
        #expect(log.contains("msg=\"connected to coordinator\""), "client log: \(log)")
        let sent = log.split(separator: "\n").compactMap { UpdateSentEvent(logfmtLine: $0) }
        #expect(sent.map(\.round) == [1] && sent.allSatisfy { $0.samples > 0 && $0.workMillis >= 0 && $0.sendMillis >= 0 },
                "the client's 'update sent' line carries the fields fedattr bench reads; client log: \(log)")
    }
}
