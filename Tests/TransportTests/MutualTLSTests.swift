import CNNG
import Foundation
import Testing
@testable import Transport

/// Survey round trips and refusals over tls+tcp://127.0.0.1 with certificates made by the openssl CLI.
@Suite struct MutualTLSTests {
    let pki: TestPKI
    init() throws { pki = try TestPKI.shared.get() }

    var serverTLS: TLSSettings { TLSSettings(caFile: pki.caFile, certKeyFile: pki.serverBundle) }
    func clientTLS(_ i: Int) -> TLSSettings { TLSSettings(caFile: pki.caFile, certKeyFile: pki.clientBundle(i)) }

    @Test func surveyReachesThreeRespondentsAndResponsesCarryDistinctVerifiedPipes() throws {
        let (surveyor, url) = try listeningSurveyor(tls: serverTLS)
        defer { surveyor.close() }
        let log = EventLog()
        try log.attach(to: surveyor)
        try surveyor.setSurveyTime(milliseconds: 1500)

        var respondents: [Socket] = []
        defer { respondents.forEach { $0.close() } }
        for i in 0..<3 {
            let respondent = try Socket.respondent()
            try respondent.setReceiveTimeout(milliseconds: 10_000)
            try respondent.dial(url, tls: clientTLS(i), blocking: true)
            respondents.append(respondent)
        }
        #expect(eventually(within: 5) { log.pipes(.added).count == 3 })

        let answering = respondents.enumerated().map { i, respondent in
            Background { () -> String in answerOnce(respondent) { bytes("client-\(i) got \(text($0))") } }
        }
        try surveyor.send(bytes("round-1"))
        let responses = collectResponses(surveyor)
        for background in answering {
            #expect(background.wait(seconds: 10) == "ok")
        }

        #expect(Set(responses.map { text($0.bytes) }) == ["client-0 got round-1", "client-1 got round-1", "client-2 got round-1"])
        #expect(responses.count == 3)
        #expect(Set(responses.map(\.pipe)).count == 3)
        #expect(Set(responses.map(\.pipe)) == Set(log.pipes(.added)))
        for response in responses {
            #expect(surveyor.pipeIsTLSVerified(response.pipe))
            #expect(surveyor.pipeRemoteAddress(response.pipe)?.hasPrefix("127.0.0.1:") == true)
        }
        #expect(!surveyor.pipeIsTLSVerified(0))
    }

    @Test func plaintextRespondentCannotReachTLSListener() throws {
        let (surveyor, url) = try listeningSurveyor(tls: serverTLS)
        defer { surveyor.close() }
        let log = EventLog()
        try log.attach(to: surveyor)
        let plainURL = url.replacingOccurrences(of: "tls+tcp://", with: "tcp://")
        let respondent = try Socket.respondent()
        defer { respondent.close() }
        let error = transportError { try respondent.dial(plainURL, blocking: true) }
        print("plaintext tcp:// dial to a tls+tcp:// listener:", error.map { "\($0)" } ?? "no error")
        #expect(error == .connectionShut, "the TLS listener drops a connection that does not speak TLS")
        #expect(!eventually(within: 0.5) { !log.pipes(.added).isEmpty })
    }

    /// Dials `url` with `tls` (blocking); returns the dial error and whether the surveyor saw a pipe.
    func refusedDial(_ tls: TLSSettings, serverTLS: TLSSettings? = nil) throws -> (TransportError?, Bool) {
        let (surveyor, url) = try listeningSurveyor(tls: serverTLS ?? self.serverTLS)
        defer { surveyor.close() }
        let log = EventLog()
        try log.attach(to: surveyor)
        let respondent = try Socket.respondent()
        defer { respondent.close() }
        let error = transportError { try respondent.dial(url, tls: tls, blocking: true) }
        let sawPipe = eventually(within: 0.5) { !log.pipes(.added).isEmpty }
        return (error, sawPipe)
    }

    @Test func clientFromForeignCAIsRefused() throws {
        let (error, sawPipe) = try refusedDial(TLSSettings(caFile: pki.caFile, certKeyFile: pki.foreignClientBundle))
        print("foreign-CA client:", error.map { "\($0)" } ?? "no error")
        #expect(error == .cryptoRefused)
        #expect(!sawPipe)
    }

    @Test func expiredClientCertificateIsRefused() throws {
        let (error, sawPipe) = try refusedDial(TLSSettings(caFile: pki.caFile, certKeyFile: pki.expiredClientBundle))
        print("expired client:", error.map { "\($0)" } ?? "no error")
        #expect(error == .cryptoRefused)
        #expect(!sawPipe)
    }

    @Test func wrongServerNameIsRefusedByClient() throws {
        let (error, sawPipe) = try refusedDial(TLSSettings(caFile: pki.caFile, certKeyFile: pki.clientBundle(0), serverName: "evil.example"))
        print("wrong server name:", error.map { "\($0)" } ?? "no error")
        #expect(error == .cryptoRefused)
        #expect(!sawPipe)
    }

    /// A coordinator dialed by IP address (another machine without a DNS name: `--server-name` or the URL's host is an
    /// address) is checked against its certificate's IP SANs, which `pki init --host 10.0.0.5` writes: the address
    /// the certificate names is accepted, any other refused. mbedTLS matches DNS names only (docs/SECURITY.md).
    @Test(.enabled(if: TLSEngine.processDefault == .openssl))
    func aCoordinatorDialedByIPAddressIsCheckedAgainstItsIPSANs() throws {
        let (surveyor, url) = try listeningSurveyor(tls: serverTLS)
        defer { surveyor.close() }
        let respondent = try Socket.respondent()
        defer { respondent.close() }
        let byAddress = TLSSettings(caFile: pki.caFile, certKeyFile: pki.clientBundle(0), serverName: "127.0.0.1")
        #expect(transportError { try respondent.dial(url, tls: byAddress, blocking: true) } == nil, "127.0.0.1 is an IP SAN")
        let (error, sawPipe) = try refusedDial(TLSSettings(caFile: pki.caFile, certKeyFile: pki.clientBundle(0), serverName: "10.0.0.5"))
        #expect(error == .cryptoRefused, "10.0.0.5 is not in the certificate")
        #expect(!sawPipe)
    }

    @Test func serverWithClientAuthOnlyCertificateIsRefusedByClient() throws {
        let (error, sawPipe) = try refusedDial(clientTLS(0),
                                               serverTLS: TLSSettings(caFile: pki.caFile, certKeyFile: pki.clientOnlyServerBundle))
        print("server with clientAuth-only cert:", error.map { "\($0)" } ?? "no error")
        #expect(error == .cryptoRefused)
        #expect(!sawPipe)
    }

    @Test func clientServerCertificateMisusedAsClientIsRefused() throws {
        // A client presenting the serverAuth-only certificate: EKU checked on the listener side too.
        let (error, sawPipe) = try refusedDial(TLSSettings(caFile: pki.caFile, certKeyFile: pki.serverBundle))
        print("client presenting serverAuth-only cert:", error.map { "\($0)" } ?? "no error")
        #expect(error == .cryptoRefused)
        #expect(!sawPipe)
    }

    @Test func clientWithoutCertificateIsRefused() throws {
        // Socket always presents a certificate, so this client is built from raw nng calls.
        let (surveyor, url) = try listeningSurveyor(tls: serverTLS)
        defer { surveyor.close() }
        let log = EventLog()
        try log.attach(to: surveyor)

        _ = try TLSEngine.active  // the raw config below must get the same engine as the sockets
        var socket = nng_socket()
        try #require(nng_respondent0_open(&socket) == 0)
        defer { nng_close(socket) }
        var config: OpaquePointer?
        try #require(nng_tls_config_alloc(&config, NNG_TLS_MODE_CLIENT) == 0)
        try #require(nng_tls_config_ca_file(config, pki.caFile) == 0)
        try #require(nng_tls_config_server_name(config, "localhost") == 0)
        var dialer = nng_dialer()
        try #require(nng_dialer_create(&dialer, socket, url) == 0)
        try #require(nng_dialer_set_ptr(dialer, NNG_OPT_TLS_CONFIG, UnsafeMutableRawPointer(config)) == 0)
        nng_tls_config_free(config)
        let rv = nng_dialer_start(dialer, 0)
        let error = TransportError(operation: "dial", code: rv)
        print("client without certificate: nng \(rv) → \(error)")
        #expect(error == .connectionShut)
        #expect(!eventually(within: 0.5) { !log.pipes(.added).isEmpty })
    }

    @Test func oversizeResponseIsDroppedWithItsConnection() throws {
        let (surveyor, url) = try listeningSurveyor(tls: serverTLS)
        try surveyor.setReceiveMaxSize(1 << 20)   // after listen: applies to the listener's later connections
        defer { surveyor.close() }
        let log = EventLog()
        try log.attach(to: surveyor)
        try surveyor.setSurveyTime(milliseconds: 2000)
        let respondent = try Socket.respondent()
        defer { respondent.close() }
        try respondent.setReceiveTimeout(milliseconds: 10_000)
        try respondent.dial(url, tls: clientTLS(0), blocking: true)
        #expect(eventually(within: 5) { log.pipes(.added).count == 1 })

        // Below the limit: 512 KiB arrives intact.
        let small = [UInt8](repeating: 7, count: 512 << 10)
        let answerSmall = Background { () -> Bool in
            guard (try? respondent.receive()) != nil else { return false }
            return (try? respondent.send(small)) != nil
        }
        try surveyor.send(bytes("small"))
        let received = try surveyor.receive()
        #expect(received.bytes == small)
        #expect(answerSmall.wait(seconds: 10) == true)

        // Above the limit: 2 MiB never shows up and the connection is dropped.
        let big = [UInt8](repeating: 9, count: 2 << 20)
        let answerBig = Background { () -> Bool in
            guard (try? respondent.receive()) != nil else { return false }
            return (try? respondent.send(big)) != nil
        }
        try surveyor.send(bytes("big"))
        let error = transportError { _ = try surveyor.receive() }
        #expect(error == .timedOut)
        #expect(answerBig.wait(seconds: 10) == true)
        #expect(eventually(within: 5) { log.pipes(.removed).contains(received.pipe) })
    }

    @Test func megabyteMessagesPassWithARaisedLimitAndWithNngsDefaultOfNoLimit() throws {
        let (surveyor, url) = try listeningSurveyor(tls: serverTLS)
        defer { surveyor.close() }
        let log = EventLog()
        try log.attach(to: surveyor)
        try surveyor.setReceiveMaxSize(4 << 20)
        try surveyor.setSurveyTime(milliseconds: 3000)
        let raised = try Socket.respondent()
        defer { raised.close() }
        try raised.setReceiveMaxSize(4 << 20)
        try raised.setReceiveTimeout(milliseconds: 10_000)
        try raised.dial(url, tls: clientTLS(1), blocking: true)
        let defaulted = try Socket.respondent()   // nng 1.5.2 default: recv-size-max 0 = unlimited
        defer { defaulted.close() }
        try defaulted.setReceiveTimeout(milliseconds: 10_000)
        try defaulted.dial(url, tls: clientTLS(2), blocking: true)
        #expect(eventually(within: 5) { log.pipes(.added).count == 2 })

        let big = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let survey = [UInt8](repeating: 1, count: 3 << 20)   // the task direction: 3 MiB to the respondents
        let answers = [raised, defaulted].map { respondent in
            Background { answerOnce(respondent) { $0 == survey ? big : bytes("survey corrupted") } }
        }
        try surveyor.send(survey)
        let responses = collectResponses(surveyor)
        #expect(responses.count == 2)
        #expect(responses.allSatisfy { $0.bytes == big })
        #expect(answers.map { $0.wait(seconds: 10) } == ["ok", "ok"])
        #expect(log.pipes(.removed).isEmpty)
    }

    @Test func tlsAndURLMismatchesAreClearErrors() throws {
        let socket = try Socket.surveyor()
        defer { socket.close() }
        #expect(transportError { try socket.listen("tls+tcp://127.0.0.1:0") } == .tlsRequired(url: "tls+tcp://127.0.0.1:0"))
        #expect(transportError { try socket.listen("tcp://127.0.0.1:0", tls: serverTLS) } == .tlsNotApplicable(url: "tcp://127.0.0.1:0"))
        #expect(transportError { try socket.dial("inproc://x", tls: serverTLS) } == .tlsNotApplicable(url: "inproc://x"))
        #expect(transportError { try socket.dial("127.0.0.1:5555") } == .invalidURL("127.0.0.1:5555"))
        #expect(transportError { try socket.listen("bogus://127.0.0.1:5555") } == .invalidURL("bogus://127.0.0.1:5555"))
        let missing = TLSSettings(caFile: pki.directory + "/missing-ca.crt", certKeyFile: pki.serverBundle)
        let configError = transportError { try socket.listen("tls+tcp://127.0.0.1:0", tls: missing) }
        guard case .tlsConfiguration(let message) = configError else {
            Issue.record("expected tlsConfiguration, got \(String(describing: configError))"); return
        }
        #expect(message.contains("missing-ca.crt"))
    }
}
