import Foundation
import PKI
import Transport
import Wire

/// Receives the answers to one survey (sent on its own socket context) on a thread of its own, so that the round loop
/// waits with its own clock — waking to notice clients that left — and the survey stays open after the round closed:
/// answers that arrive later go to `onLate` (to be logged) instead of vanishing inside nng.
final class SurveyCollector: @unchecked Sendable {  // queue and flags behind `condition`
    /// One message and when it came off the context.
    struct Arrival {
        var received: Received
        var time: Date
        /// The same moment as `RoundTimeline.now()`.
        var micros: UInt64
        /// The message decoded on the receiving thread (with `decodeLimits`), nil when it was not.
        var decoded: Result<Message, WireError>?
        /// SHA-256 of a decoded update's tensor bytes (what its signature covers), nil otherwise.
        var updateDigest: [UInt8]?
    }

    private let context: SocketContext
    private let condition = NSCondition()
    private var queue: [Arrival] = []
    private var isOver = false
    private var roundClosed = false
    private let onLate: @Sendable (Arrival) -> Void
    private let decodeLimits: DecodeLimits?

    /// Sends `bytes` as a survey open for `surveyMilliseconds` on a new context of `socket` and starts receiving.
    /// With `decodeLimits` each answer is decoded (and an update's tensor digested) on the receiving thread, while the
    /// round loop is still judging the answers before it.
    init(socket: Socket, bytes: [UInt8], surveyMilliseconds: Int, decodeLimits: DecodeLimits? = nil,
         onLate: @escaping @Sendable (Arrival) -> Void) throws {
        context = try socket.openContext()
        self.onLate = onLate
        self.decodeLimits = decodeLimits
        do {
            try context.setSurveyTime(milliseconds: surveyMilliseconds)
            try context.send(bytes)
        } catch {
            context.close()
            throw error
        }
        let thread = Thread { [self] in receiveUntilOver() }
        thread.stackSize = 256 << 10
        thread.start()
    }

    private func receiveUntilOver() {
        while true {
            let received: Received
            do { received = try context.receive() } catch {
                break  // the survey time is over, or the context or socket was closed
            }
            var arrival = Arrival(received: received, time: Date(), micros: RoundTimeline.now())
            if let decodeLimits {
                do {
                    let message = try WireCodec.decode(received.bytes, limits: decodeLimits)
                    arrival.decoded = .success(message)
                    if case let .update(u) = message { arrival.updateDigest = ParameterVector.digest(u.update) }
                } catch {
                    arrival.decoded = .failure(error)
                }
            }
            condition.lock()
            if roundClosed {
                condition.unlock()
                onLate(arrival)
                continue
            }
            queue.append(arrival)
            condition.signal()
            condition.unlock()
        }
        condition.lock()
        isOver = true
        condition.broadcast()
        condition.unlock()
        context.close()
    }

    /// The next answer that arrives before `limit`; nil when none did, or when the survey is over and drained.
    func next(before limit: Date) -> Arrival? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty, !isOver, Date() < limit {
            _ = condition.wait(until: limit)
        }
        return queue.isEmpty ? nil : queue.removeFirst()
    }

    /// True once the survey time is over (or the context closed) and every answer was taken.
    var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return isOver && queue.isEmpty
    }

    /// The round stops taking answers: those queued and those still to come go to `onLate` until the survey ends.
    func closeRound() {
        condition.lock()
        roundClosed = true
        let pending = queue
        queue = []
        condition.unlock()
        for arrival in pending { onLate(arrival) }
    }

    /// Ends the survey now; a later answer is dropped by nng.
    func cancel() {
        closeRound()
        context.close()
    }
}
