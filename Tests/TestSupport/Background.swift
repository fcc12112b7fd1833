import Foundation

/// Runs `work` on its own thread (never on the cooperative pool); `wait` gives its result, or nil after the timeout.
public final class Background<T: Sendable>: @unchecked Sendable {  // result guarded by lock, completion by semaphore
    private let lock = NSLock()
    private var result: T?
    private let done = DispatchSemaphore(value: 0)
    private var finished = false

    public init(_ work: @escaping @Sendable () -> T) {
        let thread = Thread { [self] in
            let value = work()
            lock.lock()
            result = value
            finished = true
            lock.unlock()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    public func wait(seconds: Double) -> T? {
        lock.lock()
        if finished { defer { lock.unlock() }; return result }
        lock.unlock()
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        lock.lock()
        defer { lock.unlock() }
        return result
    }
}

/// Polls `condition` until it holds or `seconds` pass; returns whether it held.
public func eventually(within seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
