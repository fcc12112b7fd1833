import Foundation

/// Lets at most `slots` in-process clients train at once, so that each trains in a core's caches at the single-thread
/// rate instead of ten clients time-slicing two cores; a freed slot goes to the waiting client with the most work
/// (largest shard first keeps the round's tail short), except that a client waiting `agingSeconds` or longer goes
/// first (oldest first), so that no client waits without bound behind larger work of other federations in the process.
/// Daemons run without one: each is its own process.
public final class TrainingGate: @unchecked Sendable {  // `free` and `waiting` are only touched under `condition`
    public let slots: Int
    private let condition = NSCondition()
    private var free: Int
    private var waiting: [(ticket: Int, work: Int, since: Date)] = []
    /// Seconds after which a waiting client is served before larger work.
    public let agingSeconds: Double
    private var nextTicket = 0

    public init(slots: Int, agingSeconds: Double = 1) {
        precondition(slots >= 1, "a training gate needs at least one slot")
        self.slots = slots
        self.agingSeconds = agingSeconds
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
        waiting.append((ticket, work, Date()))
        while !(free > 0 && next == ticket) {
            // Woken by a release, or in time to be served as an old waiter.
            _ = condition.wait(until: Date().addingTimeInterval(agingSeconds))
        }
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

    /// The ticket of the waiter that gets the next free slot: the earliest that has waited `agingSeconds`, else the one
    /// with the most work, then the earliest.
    private var next: Int? {
        let old = Date().addingTimeInterval(-agingSeconds)
        if let first = waiting.first, first.since <= old { return first.ticket }  // `waiting` is in arrival order
        return waiting.min { $0.work != $1.work ? $0.work > $1.work : $0.ticket < $1.ticket }?.ticket
    }

    /// Clients training right now, and clients waiting (for tests).
    var state: (busy: Int, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (slots - free, waiting.count)
    }
}
