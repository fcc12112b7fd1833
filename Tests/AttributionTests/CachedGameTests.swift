import Foundation
import Synchronization
import Testing
@testable import Attribution

/// Counts calls per coalition (thread-safe) to prove each coalition is evaluated once.
private final class CallLog: Sendable {
    let calls = Mutex<[UInt64: Int]>([:])
    func record(_ mask: UInt64) { calls.withLock { $0[mask, default: 0] += 1 } }
}

private func slowValue(_ mask: UInt64) -> Double {
    // Deterministic, non-additive, a little work so parallel chunks overlap in time.
    var x = Double(mask) * 0.618
    for k in 0..<50 { x = sin(x + Double(k)) }
    return x + Double(mask.nonzeroBitCount)
}

@Test func cachedGameEvaluatesEachCoalitionOnce() {
    let log = CallLog()
    let game = CachedGame(playerCount: 5) { mask in
        log.record(mask)
        return slowValue(mask)
    }
    for _ in 0..<3 {
        for mask in UInt64(0)..<32 { _ = game.value(of: mask) }
    }
    #expect(game.evaluations == 31)   // v(∅) is never evaluated
    #expect(game.value(of: 0) == 0)
    #expect(log.calls.withLock { $0.values.allSatisfy { $0 == 1 } && $0.count == 31 && $0[0] == nil })
}

@Test func precomputeAllIsParallelSafeAndMatchesSerial() throws {
    let n = 12
    let log = CallLog()
    let parallel = CachedGame(playerCount: n, parallel: true) { mask in
        log.record(mask)
        return slowValue(mask)
    }
    // A few values cached beforehand must not be evaluated again.
    for mask in UInt64(1)..<9 { _ = parallel.value(of: mask) }
    try parallel.precomputeAll()
    let serial = (0..<(1 << n)).map { $0 == 0 ? 0.0 : slowValue(UInt64($0)) }
    #expect(try parallel.allValues() == serial)
    #expect(parallel.evaluations == (1 << n) - 1)
    #expect(log.calls.withLock { $0.count == (1 << n) - 1 && $0.values.allSatisfy { $0 == 1 } })
    // A second precompute is free.
    try parallel.precomputeAll()
    #expect(parallel.evaluations == (1 << n) - 1)
    // Same values through concurrent readers.
    let mismatches = Mutex(0)
    DispatchQueue.concurrentPerform(iterations: 8) { worker in
        for mask in stride(from: worker, to: 1 << n, by: 8) where parallel.value(of: UInt64(mask)) != serial[mask] {
            mismatches.withLock { $0 += 1 }
        }
    }
    #expect(mismatches.withLock { $0 } == 0)
}

@Test func precomputeAllRefusesHugeGames() {
    let game = CachedGame(playerCount: 30) { _ in 0 }
    #expect(throws: AttributionError.tooManyPlayers(evaluator: "precomputeAll", count: 30, limit: 24)) {
        try game.precomputeAll()
    }
}

@Test func exactShapleyOnPlainGameUsesParallelTable() throws {
    // A non-cached game goes through the parallel table path; results equal the cached path.
    let (function, _) = TestGames.utilityLike(playerCount: 10, seed: 8)
    let plain = try EvaluatorRegistry.make("shapley-exact").evaluate(TestGames.input(function))
    let cached = try EvaluatorRegistry.make("shapley-exact").evaluate(
        TestGames.input(CachedGame(playerCount: 10) { function.value(of: $0) }))
    #expect(plain == cached)
}

@Test func storedValuesAreReturnedWithoutAnyEvaluation() throws {
    let n = 6
    var values = (0..<(1 << n)).map { slowValue(UInt64($0)) }
    values[0] = 42   // ignored: v(∅) is 0 by definition
    let stored = CachedGame(playerCount: n, values: values)
    #expect(stored.value(of: 0) == 0)
    for mask in 1..<(1 << n) { #expect(stored.value(of: UInt64(mask)) == slowValue(UInt64(mask))) }
    try stored.precomputeAll()
    #expect(stored.evaluations == 0)
    #expect(stored.cachedCount == (1 << n) - 1)
    #expect(try stored.allValues() == [0] + (1..<(1 << n)).map { slowValue(UInt64($0)) })
    // Evaluators read it like any other game: the same Shapley values as the closure-backed game.
    let log = CallLog()
    let computed = CachedGame(playerCount: n) { mask in
        log.record(mask)
        return slowValue(mask)
    }
    let fromTable = try EvaluatorRegistry.make("shapley-exact").evaluate(TestGames.input(stored))
    let fromClosure = try EvaluatorRegistry.make("shapley-exact").evaluate(TestGames.input(computed))
    #expect(fromTable == fromClosure)
    #expect(stored.evaluations == 0 && computed.evaluations == (1 << n) - 1)
    #expect(log.calls.withLock { $0.count } == (1 << n) - 1)
}
