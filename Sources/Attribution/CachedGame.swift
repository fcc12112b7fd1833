import Dispatch
import Foundation

/// Memoizes an expensive game (one model evaluation per coalition) so every evaluator of a round shares the values.
/// v(∅) is 0 by definition of the round game and is never evaluated.
/// Thread-safe: the cache and counter sit behind an NSLock; the closure runs outside the lock so evaluations proceed in parallel.
public final class CachedGame: CoalitionGame, @unchecked Sendable {
    /// Largest player count for which `precomputeAll()` will evaluate all 2^N coalitions.
    public static let maxPrecomputePlayers = 24

    public let playerCount: Int
    public let parallel: Bool
    private let function: @Sendable (Coalition) -> Double
    /// Every value, indexed by mask, when the game was built from a complete table; immutable, read without the lock.
    private let table: [Double]?
    private let lock = NSLock()
    private var cache: [Coalition: Double] = [:]
    private var evaluationCount = 0

    public init(playerCount: Int, parallel: Bool = true, _ value: @escaping @Sendable (Coalition) -> Double) {
        self.playerCount = playerCount
        self.parallel = parallel
        self.function = value
        table = nil
    }

    /// A game of at most 64 players written on bitmasks (bit i = player i).
    @_disfavoredOverload
    public convenience init(playerCount: Int, parallel: Bool = true, _ value: @escaping @Sendable (UInt64) -> Double) {
        precondition(playerCount <= 64, "a bitmask game has at most 64 players, not \(playerCount)")
        self.init(playerCount: playerCount, parallel: parallel) { (coalition: Coalition) in value(coalition.mask!) }
    }

    /// A game whose 2^N values were computed elsewhere, indexed by coalition mask; `values[0]` is ignored (v(∅) = 0).
    public init(playerCount: Int, values: [Double]) {
        precondition(playerCount <= Self.maxPrecomputePlayers, "a table of 2^\(playerCount) values is too large")
        precondition(values.count == 1 << playerCount, "expected \(1 << playerCount) values, got \(values.count)")
        self.playerCount = playerCount
        parallel = false
        var table = values
        table[0] = 0
        self.table = table
        function = { coalition in preconditionFailure("coalition \(coalition) is outside the \(playerCount)-player table") }
    }

    /// How many times the underlying closure has been called.
    /// Two threads asking for the same uncached coalition at the same moment may both evaluate it; `precomputeAll()` never does.
    public var evaluations: Int {
        lock.lock()
        defer { lock.unlock() }
        return evaluationCount
    }

    /// How many distinct coalitions are cached.
    public var cachedCount: Int {
        if let table { return table.count - 1 }
        lock.lock()
        defer { lock.unlock() }
        return cache.count
    }

    public func value(of coalition: Coalition) -> Double {
        if coalition.isEmpty { return 0 }
        if let table {
            guard let mask = coalition.mask, mask < UInt64(table.count) else {
                preconditionFailure("coalition \(coalition) has players beyond \(playerCount)")
            }
            return table[Int(mask)]
        }
        lock.lock()
        if let known = cache[coalition] {
            lock.unlock()
            return known
        }
        lock.unlock()
        let computed = function(coalition)
        lock.lock()
        defer { lock.unlock() }
        evaluationCount += 1
        if let known = cache[coalition] { return known }
        cache[coalition] = computed
        return computed
    }

    /// Evaluates every coalition not yet cached, in parallel chunks when `parallel` is set.
    public func precomputeAll() throws(AttributionError) {
        if table != nil { return }
        guard playerCount <= Self.maxPrecomputePlayers else {
            throw .tooManyPlayers(evaluator: "precomputeAll", count: playerCount, limit: Self.maxPrecomputePlayers)
        }
        let total = 1 << playerCount
        let chunkCount = parallel ? min(total, max(1, ProcessInfo.processInfo.activeProcessorCount * 16)) : 1
        let chunkSize = (total + chunkCount - 1) / chunkCount
        let work: @Sendable (Int) -> Void = { chunk in
            let start = max(1, chunk * chunkSize)
            let end = min(total, (chunk + 1) * chunkSize)
            guard start < end else { return }
            self.lock.lock()
            let missing = (start..<end).map { Coalition(mask: UInt64($0)) }.filter { self.cache[$0] == nil }
            self.lock.unlock()
            guard !missing.isEmpty else { return }
            let values = missing.map { self.function($0) }
            self.lock.lock()
            for (coalition, value) in zip(missing, values) where self.cache[coalition] == nil {
                self.cache[coalition] = value
            }
            self.evaluationCount += missing.count
            self.lock.unlock()
        }
        if parallel && chunkCount > 1 {
            DispatchQueue.concurrentPerform(iterations: chunkCount, execute: work)
        } else {
            for chunk in 0..<chunkCount { work(chunk) }
        }
    }

    /// All 2^N values indexed by coalition mask (index 0 holds v(∅) = 0), precomputing what is missing.
    public func allValues() throws(AttributionError) -> [Double] {
        if let table { return table }
        try precomputeAll()
        lock.lock()
        defer { lock.unlock() }
        var table = [Double](repeating: 0, count: 1 << playerCount)
        for (coalition, value) in cache {
            if let mask = coalition.mask, mask < UInt64(table.count) { table[Int(mask)] = value }
        }
        return table
    }
}
