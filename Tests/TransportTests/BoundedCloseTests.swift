import Dispatch
import Foundation
import Testing
@testable import Transport

/// `Socket.close(waitingAtMost:)`: nng 1.5.2's close can wait without end for a send its TLS layer stranded; the
/// caller gets control back after the bound either way, and learns whether the socket was released.
@Suite struct BoundedCloseTests {
    @Test func aCloseThatReturnsInTimeIsReportedReleased() throws {
        let socket = try Socket.surveyor()
        try socket.listen("inproc://bounded-close-\(UUID().uuidString)")
        let started = Date()
        #expect(socket.close(waitingAtMost: 10))
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(socket.close(waitingAtMost: 1), "closing again is a no-op that returns at once")
        #expect(throws: TransportError.closed) { try socket.send([1]) }
    }

    @Test func aCloseThatHangsIsGivenUpAfterTheBoundAndFinishesInTheBackground() {
        // The same bound around a close that blocks (as nng's does on a stranded TLS send) until released.
        let release = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        let started = Date()
        let inTime = Socket.finishes(within: 0.3) {
            release.wait()
            finished.signal()
        }
        let waited = Date().timeIntervalSince(started)
        #expect(!inTime)
        #expect(waited >= 0.3 && waited < 10, "\(waited) s")
        release.signal()
        #expect(finished.wait(timeout: .now() + 10) == .success, "the close went on in the background")
        #expect(Socket.finishes(within: 10) {})
    }
}
