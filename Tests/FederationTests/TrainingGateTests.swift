import Foundation
import Testing
@testable import Federation

/// The in-process clients' training gate: never more trainers than slots, largest work first. Every wait inside is
/// bounded; the 4-minute limits are generous because Swift Testing's clock also runs while a test waits for a thread
/// of its pool (one per core), which blocking process tests can hold for over a minute on 2 cores (seen: 110 s).
@Suite struct TrainingGateTests {
    /// Polls `condition` every 5 ms for up to `seconds`; true when it held.
    func eventually(_ seconds: Double = 30, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    /// A thread that takes the gate's one slot and keeps it until the returned semaphore is signalled; the group
    /// is left when it has given the slot back.
    func holdTheOnlySlot(of gate: TrainingGate) -> (release: DispatchSemaphore, group: DispatchGroup) {
        let release = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread {
            gate.run(work: 0) { release.wait() }
            group.leave()
        }
        #expect(eventually { gate.state.busy == 1 })
        return (release, group)
    }

    @Test(.timeLimit(.minutes(4))) func neverMoreTrainersThanSlotsAndEverySlotUsed() {
        let gate = TrainingGate(slots: 2)
        let peak = Peak()
        let group = DispatchGroup()
        for i in 0..<8 {
            group.enter()
            Thread.detachNewThread {
                gate.run(work: i) {
                    peak.enter()
                    // The first holders wait for a second one: the gate must admit two at once.
                    _ = eventually(10) { gate.state.busy == 2 || peak.finished >= 7 }
                    usleep(2_000)
                    peak.leave()
                }
                group.leave()
            }
        }
        #expect(group.wait(timeout: .now() + 50) == .success)
        #expect(peak.maximum == 2)
        #expect(peak.finished == 8)
        #expect(gate.state.busy == 0 && gate.state.waiting == 0)
    }

    @Test(.timeLimit(.minutes(4))) func aFreedSlotGoesToTheLargestWaitingWork() {
        let gate = TrainingGate(slots: 1, agingSeconds: 600)
        let order = Order()
        let (release, group) = holdTheOnlySlot(of: gate)
        for (k, work) in [1, 5, 3, 5].enumerated() {
            group.enter()
            Thread.detachNewThread {
                gate.run(work: work) { order.append("\(work)#\(k)") }
                group.leave()
            }
            #expect(eventually { gate.state.waiting == k + 1 })
        }
        release.signal()
        #expect(group.wait(timeout: .now() + 30) == .success)
        // Most work first; equal work in arrival order.
        #expect(order.items == ["5#1", "5#3", "3#2", "1#0"])
    }

    @Test(.timeLimit(.minutes(4))) func aClientWaitingPastTheAgingTimeGoesBeforeLargerWork() {
        let gate = TrainingGate(slots: 1, agingSeconds: 0.2)
        let order = Order()
        let (release, group) = holdTheOnlySlot(of: gate)
        let start = Date()
        group.enter()
        Thread.detachNewThread {
            gate.run(work: 1) { order.append("small") }
            group.leave()
        }
        #expect(eventually { gate.state.waiting == 1 })
        usleep(400_000)
        group.enter()
        Thread.detachNewThread {
            gate.run(work: 9) { order.append("large") }
            group.leave()
        }
        #expect(eventually { gate.state.waiting == 2 })
        #expect(Date().timeIntervalSince(start) >= 0.2)
        release.signal()
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(order.items == ["small", "large"])
    }

    @Test func oneProcessWideGateWithASlotPerCore() {
        #expect(TrainingGate.processWide.slots == ProcessInfo.processInfo.activeProcessorCount)
        #expect(TrainingGate.processWide === TrainingGate.processWide)
    }
}

private final class Peak: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var current = 0
    private(set) var maximum = 0
    private var done = 0

    func enter() {
        lock.lock()
        current += 1
        maximum = max(maximum, current)
        lock.unlock()
    }

    func leave() {
        lock.lock()
        current -= 1
        done += 1
        lock.unlock()
    }

    var finished: Int {
        lock.lock()
        defer { lock.unlock() }
        return done
    }
}

private final class Order: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var list: [String] = []

    func append(_ item: String) {
        lock.lock()
        list.append(item)
        lock.unlock()
    }

    var items: [String] {
        lock.lock()
        defer { lock.unlock() }
        return list
    }
}
