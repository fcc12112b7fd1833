import Foundation
import Transport

/// Which connections to the coordinator a client has, from nng's pipe events, so that a client that is done can wait
/// for the coordinator to hang up first: closing the socket while a send is still in nng's TLS layer loses that send and
/// can leave nng_close waiting without end (nng 1.5.2; docs/SECURITY.md).
final class CoordinatorLink: @unchecked Sendable {  // `pipes` behind `condition`
    private let condition = NSCondition()
    private var pipes: Set<PipeID> = []

    func handle(_ event: PipeEvent, _ pipe: PipeID) {
        condition.lock()
        switch event {
        case .added: pipes.insert(pipe)
        case .removed: pipes.remove(pipe)
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until no connection is left or `seconds` passed; returns whether none is left.
    @discardableResult
    func waitUntilDisconnected(seconds: Double) -> Bool {
        let limit = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while !pipes.isEmpty, Date() < limit { _ = condition.wait(until: limit) }
        return pipes.isEmpty
    }
}
