import Foundation
import Transport

/// Keeps receives posted on a respondent socket at all times and queues what arrives for the client's worker.
///
/// Why: nng 1.5.2's respondent parks a message that arrives while nobody receives on its pipe, and if that pipe
/// then closes the parked pipe is freed but stays listed, so the next receive dereferences freed memory (nanomsg/nng
/// #1959, fixed after 1.9). A client busy training a late update while the coordinator closes its connection hit
/// exactly that. Two receiver threads, each on its own context, keep a receive outstanding while the worker trains,
/// so nothing is ever parked; each message keeps its context, on which its answer goes back.
final class ClientInbox: @unchecked Sendable {  // queue and flag behind `condition`
    /// A message and the context it arrived on (to answer on, then close).
    struct Item {
        var context: SocketContext
        var received: Received
        /// When the receive returned (`RoundTimeline.now()`).
        var micros: UInt64
    }

    private let socket: Socket
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var isClosed = false
    private let onError: @Sendable (TransportError) -> Void

    init(socket: Socket, receivers: Int = 2, onError: @escaping @Sendable (TransportError) -> Void) {
        self.socket = socket
        self.onError = onError
        for _ in 0..<receivers {
            let thread = Thread { [self] in receiveUntilClosed() }
            thread.stackSize = 256 << 10
            thread.start()
        }
    }

    private func receiveUntilClosed() {
        while !closed {
            let context: SocketContext
            let received: Received
            do {
                context = try socket.openContext()
            } catch {
                if case .closed = error { break }
                onError(error)
                usleep(100_000)
                continue
            }
            do {
                received = try context.receive()
            } catch {
                context.close()
                if case .closed = error { break }
                if case .timedOut = error { continue }
                onError(error)
                continue
            }
            let micros = RoundTimeline.now()
            condition.lock()
            queue.append(Item(context: context, received: received, micros: micros))
            condition.signal()
            condition.unlock()
        }
        close()
    }

    private var closed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return isClosed
    }

    /// Blocks until something arrived and returns everything queued, oldest first; empty once closed.
    func takeAll() -> [Item] {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty, !isClosed { condition.wait() }
        let items = queue
        queue = []
        return items
    }

    /// Wakes the worker and stops the receivers (after the socket is closed, their receives fail).
    func close() {
        condition.lock()
        isClosed = true
        let pending = queue
        queue = []
        condition.broadcast()
        condition.unlock()
        for item in pending { item.context.close() }
    }
}
