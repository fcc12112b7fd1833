import Foundation

/// A thread-safe one-way flag: set by `stop()` from a signal handler's thread, read by a daemon's loop.
final class StopFlag: @unchecked Sendable {  // `raised` is only touched under `lock`
    private let lock = NSLock()
    private var raised = false

    func raise() {
        lock.lock()
        raised = true
        lock.unlock()
    }

    var isRaised: Bool {
        lock.lock()
        defer { lock.unlock() }
        return raised
    }
}
