import Foundation
import Testing
@testable import Transport

/// The OpenSSL engine's policy seen from outside, with the stock `openssl s_client` as the peer of our listener:
/// TLS 1.3 with AES-GCM by default, TLS 1.2 only with ECDHE + AEAD, nothing older; every handshake reported to
/// observers (refusals with reason and the presented certificate), and a pipe's verified certificate available.
@Suite(.serialized, .enabled(if: TLSEngine.processDefault == .openssl, "the process runs nng's mbedTLS engine"))
struct OpenSSLEngineTests {
    let pki: TestPKI
    var serverTLS: TLSSettings { TLSSettings(caFile: pki.caFile, certKeyFile: pki.serverBundle) }

    init() throws {
        pki = try TestPKI.shared.get()
        try TLSEngine.select(.openssl)
    }

    /// Handshakes the observer saw while `body` ran.
    final class Seen: @unchecked Sendable {  // guarded by lock
        private let lock = NSLock()
        private var events: [TLSHandshake] = []
        func add(_ e: TLSHandshake) { lock.lock(); events.append(e); lock.unlock() }
        var all: [TLSHandshake] { lock.lock(); defer { lock.unlock() }; return events }
    }

    /// Runs `openssl s_client` against `port` with a client certificate and `extra` flags; returns (exit status, output).
    func sClient(port: Int, certificate: String, key: String, _ extra: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-CAfile", pki.caFile,
                             "-cert", certificate, "-key", key, "-verify_return_error", "-brief"] + extra
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = Pipe()  // closed at once: s_client ends after the handshake
        try process.run()
        (process.standardInput as? Pipe)?.fileHandleForWriting.closeFile()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// SHA-256 of a PEM certificate's DER, as `openssl x509 -fingerprint` computes it (lower-case hex, no colons).
    func fingerprint(_ pemFile: String) throws -> String {
        let output = try pki.openssl(["x509", "-in", pemFile, "-noout", "-fingerprint", "-sha256"])
        return String(output.split(separator: "=").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: ":", with: "").lowercased()
    }

    func listening() throws -> (Socket, Int) {
        let (surveyor, url) = try listeningSurveyor(tls: serverTLS)
        return (surveyor, Int(url.split(separator: ":").last!)!)
    }

    @Test func tls13WithAESGCMIsNegotiatedAndReported() throws {
        #expect(try TLSEngine.active == .openssl)
        #expect(TLSEngine.activeDescription.hasPrefix("openssl (OpenSSL 3."))
        let seen = Seen()
        let observation = TLSHandshake.observe { seen.add($0) }
        defer { observation.cancel() }
        let (surveyor, port) = try listening()
        defer { surveyor.close() }
        let (status, output) = try sClient(port: port, certificate: pki.clientCertificate(0), key: pki.clientKey(0), [])
        print("s_client default:", output)
        #expect(status == 0)
        #expect(output.contains("Protocol version: TLSv1.3"))
        #expect(output.contains("Ciphersuite: TLS_AES_128_GCM_SHA256"))
        let ours = { seen.all.filter { $0.local == "127.0.0.1:\(port)" } }  // observers are process-wide: this listener's only
        #expect(eventually(within: 5) { ours().contains { $0.server && !$0.refused } })
        let accepted = try #require(ours().first { $0.server && !$0.refused })
        #expect(accepted.version == "TLSv1.3")
        #expect(accepted.cipher == "TLS_AES_128_GCM_SHA256")
        #expect(accepted.subject.contains("CN=client-0"))
        #expect(accepted.fingerprint == (try fingerprint(pki.clientCertificate(0))))
        #expect(accepted.peer.hasPrefix("127.0.0.1:"))
    }

    @Test func tls12IsAcceptedOnlyWithECDHEAndAEAD() throws {
        let seen = Seen()
        let observation = TLSHandshake.observe { seen.add($0) }
        defer { observation.cancel() }
        let (surveyor, port) = try listening()
        defer { surveyor.close() }
        let cert = pki.clientCertificate(0), key = pki.clientKey(0)
        for suite in ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"] {
            let (status, output) = try sClient(port: port, certificate: cert, key: key, ["-tls1_2", "-cipher", suite])
            #expect(status == 0 && output.contains("Protocol version: TLSv1.2") && output.contains("Ciphersuite: \(suite)"),
                    "\(suite): \(output)")
        }
        // CBC with SHA-1 or SHA-2, no forward secrecy, CCM8, Camellia: all refused, as are TLS 1.1 and 1.0.
        let weak: [[String]] = [
            ["-tls1_2", "-cipher", "AES128-SHA"], ["-tls1_2", "-cipher", "AES256-SHA"],
            ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"], ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"],
            ["-tls1_2", "-cipher", "AES128-GCM-SHA256"], ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-CCM8"],
            ["-tls1_2", "-cipher", "ECDHE-ECDSA-CAMELLIA128-SHA256"],
            ["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_8_SHA256"],
            ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"],
        ]
        for flags in weak {
            let (status, output) = try sClient(port: port, certificate: cert, key: key, flags)
            #expect(status != 0 && !output.contains("Protocol version:"), "\(flags) was accepted: \(output)")
        }
        let ours = { seen.all.filter { $0.local == "127.0.0.1:\(port)" } }  // observers are process-wide: this listener's only
        #expect(eventually(within: 5) { ours().filter { $0.server && $0.refused }.count >= weak.count - 2 },
                "refusals seen: \(ours().filter(\.refused).map(\.reason))")
        print("refusal reasons:", Set(ours().filter(\.refused).map(\.reason)).sorted())
        #expect(ours().contains { $0.refused && $0.reason.contains("no shared cipher") })
    }

    @Test func refusalCarriesReasonSubjectAndFingerprint() throws {
        let seen = Seen()
        let observation = TLSHandshake.observe { seen.add($0) }
        defer { observation.cancel() }
        let (surveyor, port) = try listening()
        defer { surveyor.close() }
        let (status, _) = try sClient(port: port, certificate: pki.foreignClientBundle, key: pki.foreignClientBundle, [])
        _ = status  // under TLS 1.3 the client finishes before the server refuses; what counts is the server's verdict
        let ours = { seen.all.filter { $0.local == "127.0.0.1:\(port)" } }  // observers are process-wide: this listener's only
        #expect(eventually(within: 5) { ours().contains { $0.server && $0.refused } })
        let refusal = try #require(ours().first { $0.server && $0.refused })
        print("foreign-CA refusal:", refusal)
        #expect(refusal.reason.contains("certificate verify failed at depth 0"))
        #expect(refusal.reason.contains("unable to get local issuer certificate"))
        #expect(refusal.subject.contains("CN=client-"))
        #expect(refusal.fingerprint == (try fingerprint(pki.foreignClientBundle)))
        #expect(refusal.peer.hasPrefix("127.0.0.1:"))
    }

    /// Under TLS 1.3 a refused client finishes its handshake before the listener judges its certificate, so the
    /// listener keeps the connection until the client has read the alert and closed (else the alert could be lost to
    /// a reset); a client that never closes is closed by the engine's sweeper about 2 s after the refusal.
    @Test func refusedClientThatNeverClosesIsClosedAfterTheAlertHadTime() throws {
        let (surveyor, port) = try listening()
        defer { surveyor.close() }
        let sweptBefore = TLSEngine.sweptConnections
        // A TLS 1.3 client with a foreign-CA certificate that reads nothing and only watches its TCP state.
        let script = """
        import socket, ssl, sys, time
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.load_verify_locations(sys.argv[2])
        c.load_cert_chain(sys.argv[3])
        s = c.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
        start = time.monotonic()
        while time.monotonic() - start < 60:
            if s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != 1:  # no longer ESTABLISHED
                print(f"closed after {time.monotonic() - start:.2f} s")
                break
            time.sleep(0.02)
        else:
            print("never closed")
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, "\(port)", pki.caFile, pki.foreignClientBundle]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        print("refused client that never closes:", text.trimmingCharacters(in: .whitespacesAndNewlines))
        let seconds = try #require(text.split(separator: " ").dropFirst(2).first.flatMap { Double($0) }, "\(text)")
        #expect(seconds >= 1.5, "the listener closed before the client could read the alert")
        #expect(seconds < 30, "the engine did not close the refused connection")
        #expect(TLSEngine.sweptConnections > sweptBefore)
    }

    @Test func pipeNamesTheCertificateItsPeerPresented() throws {
        let (surveyor, url) = try listeningSurveyor(tls: serverTLS)
        defer { surveyor.close() }
        let log = EventLog()
        try log.attach(to: surveyor)
        let respondent = try Socket.respondent()
        defer { respondent.close() }
        try respondent.dial(url, tls: TLSSettings(caFile: pki.caFile, certKeyFile: pki.clientBundle(2)), blocking: true)
        #expect(eventually(within: 5) { log.pipes(.added).count == 1 })
        let pipe = try #require(log.pipes(.added).first)
        let peer = try #require(surveyor.pipeTLSPeer(pipe))
        #expect(peer.commonName == "client-2")
        #expect(peer.fingerprint == (try fingerprint(pki.clientCertificate(2))))
        #expect(surveyor.pipeTLSPeer(pipe &+ 1000) == nil)
        respondent.close()
        #expect(eventually(within: 5) { log.pipes(.removed).contains(pipe) })
        #expect(eventually(within: 5) { surveyor.pipeTLSPeer(pipe) == nil }, "a closed connection keeps no identity")
    }

    /// Message tracing follows nng's framing inside the TLS stream: each whole message is seen once as sent by one end
    /// and as first and last bytes decrypted by the other, with its exact framed length (the survey's 4-byte header
    /// + body), in order on CLOCK_MONOTONIC.
    @Test func messageTraceMarksEachWholeMessageOnBothEnds() throws {
        TLSMessageTrace.enable(true)
        defer { TLSMessageTrace.enable(false) }
        let log = EventLog()
        let (surveyor, url) = try listeningSurveyor(tls: serverTLS) { s in
            try log.attach(to: s)
            try s.setReceiveMaxSize(1 << 20)
            try s.setSurveyTime(milliseconds: 20_000)
        }
        defer { surveyor.close() }
        let respondent = try Socket.respondent()
        defer { respondent.close() }
        try respondent.setReceiveMaxSize(1 << 20)
        try respondent.setReceiveTimeout(milliseconds: 20_000)
        try respondent.dial(url, tls: TLSSettings(caFile: pki.caFile, certKeyFile: pki.clientBundle(0)), blocking: true)
        #expect(eventually(within: 10) { log.pipes(.added).count == 1 })
        let taskLength = 300_001, answerLength = 123_457  // odd sizes: records never line up with messages
        var events: [TLSMessageTrace.Event] = []
        _ = TLSMessageTrace.drain()
        try surveyor.send([UInt8](repeating: 1, count: taskLength))
        #expect(try respondent.receive().bytes.count == taskLength)
        try respondent.send([UInt8](repeating: 2, count: answerLength))
        #expect(try surveyor.receive().bytes.count == answerLength)
        // Other suites may be using TLS at the same time: only messages of these two lengths are ours.
        let ours = { events.filter { [taskLength + 4, answerLength + 4].contains($0.length) } }
        #expect(eventually(within: 10) {
            events += TLSMessageTrace.drain()
            return ours().count == 6
        })
        for length in [taskLength + 4, answerLength + 4] {
            let e = ours().filter { $0.length == length }
            let sent = try #require(e.first { $0.kind == .sent })
            let first = try #require(e.first { $0.kind == .firstReceived })
            let last = try #require(e.first { $0.kind == .lastReceived })
            #expect(first.micros <= last.micros)
            #expect(sent.micros <= last.micros)
            #expect(e.count == 3)
        }
    }
}
