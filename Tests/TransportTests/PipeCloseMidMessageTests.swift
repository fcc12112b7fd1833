import CNNG
import Foundation
import Testing
@testable import Transport

/// Closing a connection while nng is between two steps of a message (docs/SECURITY.md, "Why closing during a send
/// can hang nng for good"). nng 1.5.2 sends a message in steps (length, protocol header, body) and starts each next
/// step from the previous step's callback on its task threads. Holding every task thread puts a surveyor's send in
/// exactly that state on demand: the first step is written at once by the sending thread, its continuation waits.
/// Closed with nng_pipe_close there, the pipe's send never finishes, nng's reaper waits for it for ever, and no
/// connection of the process is freed again (the 100-process soak's 112 stuck pipes). `Socket.closePipe` retires
/// the connection in the OpenSSL engine instead, which closes it once the continuation has run.
@Suite(.serialized, .enabled(if: TLSEngine.processDefault == .openssl, "the retirement lives in the OpenSSL engine"))
struct PipeCloseMidMessageTests {
    let pki: TestPKI

    init() throws {
        pki = try TestPKI.shared.get()
        try TLSEngine.select(.openssl)
    }

    /// Occupies nng's task threads with callbacks that wait until `open()`.
    final class TaskThreadGate: @unchecked Sendable {  // counters behind lock
        private let lock = NSLock()
        private var entered = 0
        private let release = DispatchSemaphore(value: 0)
        private var aios: [OpaquePointer] = []

        /// Queues `count` callbacks (more than nng has task threads) and waits until no more of them start: then
        /// every task thread sits in one and nothing else nng queues runs. Returns how many threads it holds.
        func close(count: Int = 64) -> Int {
            for _ in 0..<count {
                var aio: OpaquePointer?
                let context = Unmanaged.passUnretained(self).toOpaque()
                guard nng_aio_alloc(&aio, { Unmanaged<TaskThreadGate>.fromOpaque($0!).takeUnretainedValue().hold() }, context) == 0,
                      let aio else { continue }
                aios.append(aio)
                nng_sleep_aio(0, aio)
            }
            var last = -1
            var stableSince = Date()
            let limit = Date().addingTimeInterval(20)
            while Date().timeIntervalSince(stableSince) < 0.5, Date() < limit {
                usleep(20_000)
                let now = held
                if now != last || now == 0 { last = now; stableSince = Date() }
            }
            return max(last, 0)
        }

        private var held: Int { lock.lock(); defer { lock.unlock() }; return entered }

        private func hold() {
            lock.lock(); entered += 1; lock.unlock()
            release.wait()
        }

        /// Lets every queued callback run and end; frees the aios.
        func open() {
            for _ in aios { release.signal() }
            for aio in aios { nng_aio_free(aio) }  // waits for its callback
            aios = []
        }
    }

    // No time limit: every wait below is bounded, and on 2 cores the suite's long process tests can hold both of Swift
    // Testing's threads for minutes, so a finished test was reported past a 2-minute limit.
    @Test func aConnectionClosedBetweenTwoStepsOfASendIsReleased() throws {
        let (surveyor, url) = try listeningSurveyor(tls: TLSSettings(caFile: pki.caFile, certKeyFile: pki.serverBundle))
        let log = EventLog()
        try log.attach(to: surveyor)
        let clientTLS = TLSSettings(caFile: pki.caFile, certKeyFile: pki.clientBundle(0))
        let first = try Socket.respondent()
        try first.dial(url, tls: clientTLS)
        #expect(eventually(within: 30) { log.pipes(.added).count == 1 })
        let pipe = try #require(log.pipes(.added).first)

        let gate = TaskThreadGate()
        let held = gate.close()
        #expect(held >= 1, "nng's task threads were not held")
        print("close mid-send: holding \(held) nng task threads")
        try surveyor.send([UInt8](repeating: 7, count: 1000))  // the length goes out now; the rest waits for a task thread
        surveyor.closePipe(pipe)
        gate.open()
        #expect(eventually(within: 15) { log.pipes(.removed).contains(pipe) && !surveyor.pipeExists(pipe) },
                "the connection closed mid-send was not released")

        // nng's reaper still works: connections closed afterwards, while idle, are freed too. (The first respondent
        // redials once its connection is gone; it is closed first, so every pipe added later is the second's.)
        #expect(first.close(waitingAtMost: 10))
        let seen = log.pipes(.added).count
        let second = try Socket.respondent()
        try second.dial(url, tls: TLSSettings(caFile: pki.caFile, certKeyFile: pki.clientBundle(1)))
        #expect(eventually(within: 30) { log.pipes(.added).count > seen })
        let later = log.pipes(.added).dropFirst(seen)
        for p in later { surveyor.closePipe(p) }
        #expect(eventually(within: 15) { later.allSatisfy(log.pipes(.removed).contains) }, "nng no longer frees connections: its reaper is stuck")
        #expect(second.close(waitingAtMost: 10))
        #expect(surveyor.close(waitingAtMost: 10), "nng_close waits for every connection to be freed")
        #expect(TLSEngine.retiringConnections == 0)
    }
}
