import Foundation

/// One round's bookkeeping running on its own thread while the coordinator collects the next round.
final class RoundTail: @unchecked Sendable {  // `result` is written once before `done` is signalled, read after
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<RoundRecord, any Error>?

    init(_ body: @escaping @Sendable () throws -> RoundRecord) {
        let thread = Thread { [self] in
            result = Result { try body() }
            done.signal()
        }
        thread.name = "round-bookkeeping"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits for the bookkeeping and returns the round's record, or throws its error.
    func wait() throws -> RoundRecord {
        done.wait()
        done.signal()  // a second wait returns at once
        return try result!.get()
    }
}
