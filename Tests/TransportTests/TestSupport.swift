import Foundation
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

/// Polls `condition` until it holds or `seconds` pass.
func eventually(within seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// Runs `work` on its own thread; `wait` returns its result or nil after the timeout.
final class Background<T: Sendable>: @unchecked Sendable {  // result guarded by lock, completion by semaphore
    private let lock = NSLock()
    private var result: T?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> T) {
        let thread = Thread { [self] in
            let value = work()
            lock.lock(); result = value; lock.unlock()
            done.signal()
        }
        thread.start()
    }

    func wait(seconds: Double) -> T? {
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        lock.lock(); defer { lock.unlock() }
        return result
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
