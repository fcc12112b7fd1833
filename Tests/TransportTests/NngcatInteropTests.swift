import Foundation
import Testing
@testable import Transport

/// Our surveyor against a separate process: nng's own `nngcat` as a mutual-TLS respondent. The time limits are
/// generous because they also count the wait for the suite-shared TestPKI and TLS engine, which under a full parallel
/// `swift test` on a loaded 2-core machine took up to 290 s (every TransportTests suite finished then).
@Suite struct NngcatInteropTests {
    static let nngcat = "/usr/bin/nngcat"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: nngcat), "nngcat (nng-utils) not installed"),
          .timeLimit(.minutes(5)))
    func nngcatRespondentAnswersOverMutualTLS() throws {
        let pki = try TestPKI.shared.get()
        let engine = try TLSEngine.active
        final class Handshakes: @unchecked Sendable {  // guarded by lock
            let lock = NSLock()
            var seen: [TLSHandshake] = []
        }
        let handshakes = Handshakes()
        let observation = TLSHandshake.observe { e in
            if e.server, !e.refused { handshakes.lock.lock(); handshakes.seen.append(e); handshakes.lock.unlock() }
        }
        defer { observation.cancel() }
        let (surveyor, url) = try listeningSurveyor(tls: TLSSettings(caFile: pki.caFile, certKeyFile: pki.serverBundle))
        defer { surveyor.close() }
        let log = EventLog()
        try log.attach(to: surveyor)
        try surveyor.setSurveyTime(milliseconds: 1000)
        // nngcat's own TLS setup names the server after the URL host, so dial by name.
        let dialURL = url.replacingOccurrences(of: "127.0.0.1", with: "localhost")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.nngcat)
        process.arguments = ["--respondent", "--dial", dialURL,
                             "--cert", pki.clientCertificate(1), "--key", pki.clientKey(1), "--cacert", pki.caFile,
                             "--recv-timeout", "20", "--data", "hello"]
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        let stderr = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        let launched = Date()
        defer {
            // SIGKILL: under the test runner nngcat was seen to outlive SIGTERM for seconds; no cleanup is needed.
            kill(process.processIdentifier, SIGKILL)
            #expect(exited.wait(timeout: .now() + 5) == .success, "nngcat did not exit")
        }

        let connected = eventually(within: 10) { !log.pipes(.added).isEmpty }
        #expect(connected, "nngcat did not connect")
        guard connected else {
            if !process.isRunning {
                print("nngcat exited:", String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self))
            }
            return
        }
        let connectedAfter = Date().timeIntervalSince(launched)
        var responses: [Received] = []
        var surveys = 0
        for _ in 0..<5 where responses.isEmpty {
            surveys += 1   // a survey sent before nngcat's pipe is ready is simply missed
            try surveyor.send(bytes("ping"))
            responses = collectResponses(surveyor)
        }
        print("nngcat connected after \(String(format: "%.2f", connectedAfter)) s; answered survey #\(surveys)")
        #expect(responses.map { text($0.bytes) } == ["hello"])
        if let response = responses.first {
            #expect(log.pipes(.added).contains(response.pipe))
            #expect(surveyor.pipeIsTLSVerified(response.pipe))
        }
        #expect(process.isRunning)
        if engine == .openssl, let response = responses.first {
            // The observer is process-wide (other suites handshake in parallel): take the handshake whose peer is nngcat's
            // end of the pipe that answered.
            let peer = surveyor.pipeRemoteAddress(response.pipe)
            handshakes.lock.lock()
            let nngcat = handshakes.seen.first { $0.peer == peer }
            handshakes.lock.unlock()
            #expect(peer != nil && nngcat?.version == "TLSv1.2", "nngcat's mbedTLS speaks TLS 1.2 only; peer \(peer ?? "-")")
        }
    }

    /// The other way round: nngcat (mbedTLS, TLS 1.2 only) listens as the surveyor and our respondent dials it. Under
    /// the OpenSSL engine the handshake settles on TLS 1.2 with an ECDHE + AEAD suite, and the survey round-trips.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: nngcat), "nngcat (nng-utils) not installed"),
          .timeLimit(.minutes(5)))
    func ourRespondentAnswersAnNngcatSurveyorOverTLS12() throws {
        let pki = try TestPKI.shared.get()
        let engine = try TLSEngine.active
        final class Seen: @unchecked Sendable {  // guarded by lock
            let lock = NSLock()
            var events: [TLSHandshake] = []
        }
        let seen = Seen()
        let observation = TLSHandshake.observe { e in seen.lock.lock(); seen.events.append(e); seen.lock.unlock() }
        defer { observation.cancel() }

        // freeTCPPort's port was free a moment ago; another suite running in parallel may take it before nngcat
        // listens (nngcat then exits, or our dial reaches someone else). Such an attempt is retried on a new port.
        var started: (process: Process, stdout: Pipe, respondent: Socket, port: Int, survey: Received)?
        for attempt in 1...3 where started == nil {
            let port = try freeTCPPort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.nngcat)
            process.arguments = ["--surveyor", "--listen", "tls+tcp://127.0.0.1:\(port)", "--cert", pki.serverBundle,
                                 "--cacert", pki.caFile, "--data", "ping", "--interval", "1", "--ascii"]
            let stdout = Pipe()
            process.standardOutput = stdout
            process.standardError = FileHandle.nullDevice
            try process.run()
            let respondent = try Socket.respondent()
            try respondent.setReceiveTimeout(milliseconds: 10_000)
            try respondent.setReconnect(minMilliseconds: 50, maxMilliseconds: 200)
            try respondent.dial("tls+tcp://127.0.0.1:\(port)", tls: TLSSettings(caFile: pki.caFile, certKeyFile: pki.clientBundle(0)))
            do {
                started = (process, stdout, respondent, port, try respondent.receive())
            } catch {
                print("attempt \(attempt): no survey from nngcat on port \(port) within 10 s (nngcat running: \(process.isRunning)): \(error)")
                respondent.close()
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                if attempt == 3 { throw error }
            }
        }
        let (process, stdout, respondent, port, survey) = try #require(started)
        defer { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        defer { respondent.close() }
        #expect(text(survey.bytes) == "ping")
        try respondent.send(bytes("pong"))
        let reply = Background { String(decoding: stdout.fileHandleForReading.availableData, as: UTF8.self) }
        let printed = reply.wait(seconds: 10) ?? ""
        #expect(printed.contains("pong"), "nngcat printed: \(printed)")
        if engine == .openssl {
            seen.lock.lock()
            // The handshake observer is process-wide and suites run in parallel: take the client handshake with nngcat's
            // listening address as its peer, never just the first one seen.
            let client = seen.events.first { !$0.server && !$0.refused && $0.peer == "127.0.0.1:\(port)" }
            seen.lock.unlock()
            #expect(client?.version == "TLSv1.2")
            // The server picks: mbedTLS prefers ChaCha20-Poly1305; either way ECDHE + AEAD, the only TLS 1.2 suites we offer.
            let cipher = client?.cipher ?? "none"
            print("our OpenSSL client ↔ nngcat mbedTLS server:", client?.version ?? "-", cipher)
            #expect(cipher.hasPrefix("ECDHE-") && (cipher.contains("-GCM-") || cipher.contains("CHACHA20-POLY1305")), "\(cipher)")
        }
    }
}

/// A TCP port that was free a moment ago on 127.0.0.1.
func freeTCPPort() throws -> Int {
    let (probe, url) = try listeningSurveyor(scheme: "tcp", tls: nil)
    probe.close()
    return Int(url.split(separator: ":").last!)!
}
