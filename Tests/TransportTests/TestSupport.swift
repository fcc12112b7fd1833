import Foundation
@_exported import TestSupport
@testable import Transport

/// Records pipe events from nng's threads for assertions.
final class EventLog: @unchecked Sendable {  // guarded by lock
    private let lock = NSLock()
    private var entries: [(PipeEvent, PipeID)] = []

    func record(_ event: PipeEvent, _ pipe: PipeID) {
        lock.lock(); entries.append((event, pipe)); lock.unlock()
    }
    func pipes(_ event: PipeEvent) -> [PipeID] {
        lock.lock(); defer { lock.unlock() }
        return entries.filter { $0.0 == event }.map(\.1)
    }
    func attach(to socket: Socket) throws {
        try socket.onPipeEvent { [self] event, pipe in record(event, pipe) }
    }
}

/// Catches the typed error of a transport call.
func transportError(_ body: () throws -> Void) -> TransportError? {
    do {
        try body()
        return nil
    } catch let error as TransportError {
        return error
    } catch {
        return .nng(operation: "not a TransportError: \(error)", code: -1, message: "")
    }
}

/// A surveyor listening on a fresh 127.0.0.1 port; returns it with the URL clients dial.
func listeningSurveyor(scheme: String = "tls+tcp", tls: TLSSettings?, configure: (Socket) throws -> Void = { _ in })
    throws -> (Socket, String)
{
    let surveyor = try Socket.surveyor()
    try configure(surveyor)
    try surveyor.listen("\(scheme)://127.0.0.1:0", tls: tls)
    guard let port = surveyor.boundPort, port > 0 else { throw TransportError.invalidURL("no bound port") }
    return (surveyor, "\(scheme)://127.0.0.1:\(port)")
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Receives one survey on `respondent` and answers it with `reply(survey)`; returns "ok" or the error.
func answerOnce(_ respondent: Socket, _ reply: ([UInt8]) -> [UInt8]) -> String {
    do {
        let survey = try respondent.receive()
        try respondent.send(reply(survey.bytes))
        return "ok"
    } catch {
        return "\(error)"
    }
}

/// Receives responses until the survey ends (.timedOut) or another error; returns them.
func collectResponses(_ surveyor: Socket) -> [Received] {
    var responses: [Received] = []
    while let response = try? surveyor.receive() {
        responses.append(response)
    }
    return responses
}
