import Foundation
import Testing
@testable import Transport

/// Survey timing, pipe events, closing and reconnecting, over inproc:// and plain tcp:// (same API as TLS).
@Suite struct SocketBehaviourTests {
    static func inprocURL() -> String { "inproc://transport-test-\(UUID().uuidString)" }

    @Test func inprocRoundTripUsesTheSameAPI() throws {
        let url = Self.inprocURL()
        let surveyor = try Socket.surveyor()
        defer { surveyor.close() }
        let log = EventLog()
        try log.attach(to: surveyor)
        try surveyor.setSurveyTime(milliseconds: 1000)
        try surveyor.listen(url)
        let respondent = try Socket.respondent()
        defer { respondent.close() }
        try respondent.setReceiveTimeout(milliseconds: 5000)
        try respondent.dial(url, blocking: true)
        #expect(eventually(within: 2) { log.pipes(.added).count == 1 })

        let answer = Background { answerOnce(respondent) { Array($0.reversed()) } }
        try surveyor.send([1, 2, 3, 4])
        let response = try surveyor.receive()
        #expect(response.bytes == [4, 3, 2, 1])
        #expect(response.pipe == log.pipes(.added).first)
        #expect(!surveyor.pipeIsTLSVerified(response.pipe))
        #expect(surveyor.pipeRemoteAddress(response.pipe)?.hasPrefix("inproc://") == true)
        #expect(answer.wait(seconds: 5) == "ok")
    }

    @Test func surveyTimeExpiryGivesTimedOut() throws {
        let url = Self.inprocURL()
        let surveyor = try Socket.surveyor()
        defer { surveyor.close() }
        try surveyor.setSurveyTime(milliseconds: 300)
        try surveyor.listen(url)
        let silent = try Socket.respondent()
        defer { silent.close() }
        try silent.dial(url, blocking: true)

        try surveyor.send(bytes("anyone?"))
        let start = Date()
        #expect(transportError { _ = try surveyor.receive() } == .timedOut)
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.25 && elapsed < 3, "survey ended after \(elapsed) s, expected about 0.3 s")
        // Outside a survey a surveyor has nothing to receive from.
        let noSurvey = try Socket.surveyor()
        defer { noSurvey.close() }
        #expect(transportError { _ = try noSurvey.receive() } != nil)
    }

    @Test func lateResponseToAnEarlierSurveyIsDropped() throws {
        let url = Self.inprocURL()
        let surveyor = try Socket.surveyor()
        defer { surveyor.close() }
        let log = EventLog()
        try log.attach(to: surveyor)
        try surveyor.setSurveyTime(milliseconds: 200)
        try surveyor.listen(url)
        let respondent = try Socket.respondent()
        defer { respondent.close() }
        try respondent.setReceiveTimeout(milliseconds: 5000)
        try respondent.dial(url, blocking: true)
        // A blocking dial returns once the dialer is connected; the surveyor may add the pipe a moment later, and a
        // survey sent before that reaches nobody (the full suite on a loaded machine lost it once).
        try #require(eventually(within: 5) { log.pipes(.added).count == 1 })

        let slow = Background { answerOnce(respondent) { survey in usleep(600_000); return bytes("late answer to \(text(survey))") } }
        try surveyor.send(bytes("survey-1"))
        #expect(transportError { _ = try surveyor.receive() } == .timedOut)
        #expect(slow.wait(seconds: 5) == "ok")   // the late answer has been sent by now

        try surveyor.setSurveyTime(milliseconds: 2000)
        let prompt = Background { answerOnce(respondent) { bytes("answer to \(text($0))") } }
        try surveyor.send(bytes("survey-2"))
        let responses = collectResponses(surveyor)
        #expect(responses.map { text($0.bytes) } == ["answer to survey-2"])
        #expect(prompt.wait(seconds: 5) == "ok")
    }

    @Test func pipeEventsFireOnConnectAndDisconnect() throws {
        let (surveyor, url) = try listeningSurveyor(scheme: "tcp", tls: nil)
        defer { surveyor.close() }
        let serverLog = EventLog()
        try serverLog.attach(to: surveyor)
        let respondent = try Socket.respondent()
        defer { respondent.close() }
        let clientLog = EventLog()
        try clientLog.attach(to: respondent)
        try respondent.dial(url, blocking: true)

        #expect(eventually(within: 2) { serverLog.pipes(.added).count == 1 && clientLog.pipes(.added).count == 1 })
        let pipe = try #require(serverLog.pipes(.added).first)
        #expect(pipe != 0)
        #expect(serverLog.pipes(.removed).isEmpty)
        #expect(surveyor.pipeRemoteAddress(pipe)?.hasPrefix("127.0.0.1:") == true)

        respondent.close()
        #expect(eventually(within: 2) { serverLog.pipes(.removed) == [pipe] })
        #expect(serverLog.pipes(.added) == [pipe])
    }

    @Test func closeUnblocksABlockedReceive() throws {
        let respondent = try Socket.respondent()
        try respondent.setReceiveTimeout(milliseconds: -1)
        let started = DispatchSemaphore(value: 0)
        let blocked = Background { () -> TransportError? in
            started.signal()
            return transportError { _ = try respondent.receive() }
        }
        started.wait()
        usleep(200_000)
        #expect(blocked.wait(seconds: 0) == nil)   // still blocked
        respondent.close()
        #expect(blocked.wait(seconds: 5) == .some(.closed))
        respondent.close()   // idempotent
        #expect(transportError { try respondent.send([1]) } == .closed)
        #expect(transportError { _ = try respondent.receive() } == .closed)
        #expect(transportError { try respondent.dial("tcp://127.0.0.1:1") } == .closed)
        #expect(transportError { try respondent.onPipeEvent { _, _ in } } == .closed)
    }

    @Test func commonFailuresMapToTheirCases() throws {
        let (first, url) = try listeningSurveyor(scheme: "tcp", tls: nil)
        defer { first.close() }
        let second = try Socket.surveyor()
        defer { second.close() }
        #expect(transportError { try second.listen(url) } == .addressInUse)
        first.close()
        // Nobody listens any more: a blocking dial reports it, a non-blocking one returns and keeps retrying.
        let respondent = try Socket.respondent()
        defer { respondent.close() }
        #expect(transportError { try respondent.dial(url, blocking: true) } == .connectionRefused)
        #expect(transportError { try respondent.dial(url, blocking: false) } == nil)
        #expect(transportError { try respondent.setReceiveTimeout(milliseconds: 100) } == nil)
        #expect(transportError { _ = try respondent.receive() } == .timedOut)
    }

    @Test func respondentsReconnectWhenTheCoordinatorComesBack() throws {
        // Find a free port, then release it so the first respondent dials nobody.
        let (probe, url) = try listeningSurveyor(scheme: "tcp", tls: nil)
        probe.close()

        let early = try Socket.respondent()   // non-blocking dial before the coordinator exists
        defer { early.close() }
        let onTime = try Socket.respondent()  // blocking dial once it exists
        defer { onTime.close() }
        for respondent in [early, onTime] {
            try respondent.setReconnect(minMilliseconds: 50, maxMilliseconds: 200)
            try respondent.setReceiveTimeout(milliseconds: 10_000)
        }
        try early.dial(url)

        for round in 1...2 {   // the coordinator starts late, then restarts on the same port
            let surveyor = try Socket.surveyor()
            defer { surveyor.close() }
            let log = EventLog()
            try log.attach(to: surveyor)
            try surveyor.setSurveyTime(milliseconds: 1500)
            if round == 1 { usleep(300_000) }
            try surveyor.listen(url)
            if round == 1 { try onTime.dial(url, blocking: true) }
            #expect(eventually(within: 5) { log.pipes(.added).count == 2 }, "round \(round): respondents did not (re)connect")
            let answers = [early, onTime].map { respondent in
                Background { answerOnce(respondent) { bytes("ack \(text($0))") } }
            }
            try surveyor.send(bytes("round \(round)"))
            #expect(collectResponses(surveyor).map { text($0.bytes) } == ["ack round \(round)", "ack round \(round)"])
            #expect(answers.map { $0.wait(seconds: 10) } == ["ok", "ok"])
        }
    }

    @Test func closingOnePipeDropsThatConnectionAndTheRespondentReconnects() throws {
        let (surveyor, url) = try listeningSurveyor(scheme: "tcp", tls: nil)
        defer { surveyor.close() }
        let log = EventLog()
        try log.attach(to: surveyor)
        let respondent = try Socket.respondent()
        defer { respondent.close() }
        try respondent.setReconnect(minMilliseconds: 50, maxMilliseconds: 100)
        try respondent.dial(url, blocking: true)
        #expect(eventually(within: 2) { log.pipes(.added).count == 1 })
        let first = try #require(log.pipes(.added).first)
        surveyor.closePipe(first)
        #expect(eventually(within: 2) { log.pipes(.removed) == [first] })
        #expect(eventually(within: 5) { log.pipes(.added).count == 2 })
        #expect(log.pipes(.added).last != first)
    }

    @Test func urlsGiveTheDefaultServerName() throws {
        #expect(try TransportURL("tls+tcp://127.0.0.1:5000").defaultServerName == "localhost")
        #expect(try TransportURL("tls+tcp://[::1]:5000").defaultServerName == "localhost")
        #expect(try TransportURL("tls+tcp://coordinator.lan:5000").defaultServerName == "coordinator.lan")
        #expect(try TransportURL("tls+tcp://*:5000").defaultServerName == nil)
        #expect(try TransportURL("tls+tcp://127.0.0.1:5000").usesTLS)
        #expect(try !TransportURL("tcp://127.0.0.1:5000").usesTLS)
        #expect(try TransportURL("inproc://x").host == nil)
        #expect(throws: TransportError.invalidURL("localhost:5000")) { try TransportURL("localhost:5000") }
        #expect(throws: TransportError.invalidURL("://x")) { try TransportURL("://x") }
    }
}
