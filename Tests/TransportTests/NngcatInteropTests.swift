import Foundation
import Testing
@testable import Transport

/// Our surveyor against a separate process: nng's own `nngcat` as a mutual-TLS respondent.
@Suite struct NngcatInteropTests {
    static let nngcat = "/usr/bin/nngcat"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: nngcat), "nngcat (nng-utils) not installed"),
          .timeLimit(.minutes(1)))
    func nngcatRespondentAnswersOverMutualTLS() throws {
        let pki = try TestPKI.shared.get()
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
    }
}
