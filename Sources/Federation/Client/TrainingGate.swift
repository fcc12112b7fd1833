import Foundation

/// Lets at most `slots` in-process clients train at once, so that each trains in a core's caches at the single-thread
/// rate instead of ten clients time-slicing two cores; a freed slot goes to the waiting client with the most work
/// (largest shard first keeps the round's tail short). Daemons run without one: each is its own process.
public final class TrainingGate: @unchecked Sendable {  // `free` and `waiting` are only touched under `condition`
    public let slots: Int
    private let condition = NSCondition()
    private var free: Int
    private var waiting: [(ticket: Int, work: Int)] = []
    private var nextTicket = 0

    public init(slots: Int) {
        precondition(slots >= 1, "a training gate needs at least one slot")
        self.slots = slots
        free = slots
    }

    /// One gate per process, one slot per active core: every in-process cluster of the process (an experiment runs
    /// several side by side) shares it.
    public static let processWide = TrainingGate(slots: max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// Runs `body` once a slot is free; `work` (e.g. samples to train) orders the waiting clients, largest first,
    /// then first come.
    public func run<T>(work: Int, _ body: () throws -> T) rethrows -> T {
        acquire(work: work)
        defer { release() }
        return try body()
    }

    private func acquire(work: Int) {
        condition.lock()
        defer { condition.unlock() }
        if free > 0 && waiting.isEmpty {
            free -= 1
            return
        }
        let ticket = nextTicket
        nextTicket += 1
        waiting.append((ticket, work))
        while !(free > 0 && next == ticket) { condition.wait() }
        waiting.removeAll { $0.ticket == ticket }
        free -= 1
        condition.broadcast()  // another slot may be free for the next waiter
    }

    private func release() {
        condition.lock()
        free += 1
        condition.broadcast()
        condition.unlock()
    }

    /// The ticket of the waiter that gets the next free slot: most work, then the earliest.
    private var next: Int? {
        waiting.min { $0.work != $1.work ? $0.work > $1.work : $0.ticket < $1.ticket }?.ticket
    }

    /// Clients training right now, and clients waiting (for tests).
    var state: (busy: Int, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (slots - free, waiting.count)
    }
}
