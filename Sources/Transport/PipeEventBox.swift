import CNNG
import Foundation

/// Holds the Swift handler the C pipe callback forwards to; nng gets an unmanaged pointer to it.
/// @unchecked Sendable: the handler is only read and written under `lock`.
final class PipeEventBox: @unchecked Sendable {
    private let lock = NSLock()
    private var handler: (@Sendable (PipeEvent, PipeID) -> Void)?

    func set(_ handler: (@Sendable (PipeEvent, PipeID) -> Void)?) {
        lock.lock()
        self.handler = handler
        lock.unlock()
    }

    func deliver(_ event: PipeEvent, _ pipe: PipeID) {
        lock.lock()
        let handler = self.handler
        lock.unlock()
        handler?(event, pipe)
    }

    /// The C callback registered with nng_pipe_notify; `context` is an unretained PipeEventBox.
    static let callback: nng_pipe_cb = { pipe, event, context in
        guard let context else { return }
        let box = Unmanaged<PipeEventBox>.fromOpaque(context).takeUnretainedValue()
        let id = UInt32(bitPattern: nng_pipe_id(pipe))
        switch event {
        case NNG_PIPE_EV_ADD_POST: box.deliver(.added, id)
        case NNG_PIPE_EV_REM_POST: box.deliver(.removed, id)
        default: break
        }
    }
}
