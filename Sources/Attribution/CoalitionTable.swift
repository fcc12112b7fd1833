import Dispatch
import Foundation

/// Exact power-index computations over a full table of coalition values.
enum CoalitionTable {
    /// All 2^N values of `game` indexed by mask; a `CachedGame` fills (and keeps) its cache in parallel.
    static func values(of game: any CoalitionGame, evaluator: String, limit: Int) throws(AttributionError) -> [Double] {
        let n = game.playerCount
        guard n <= limit else { throw .tooManyPlayers(evaluator: evaluator, count: n, limit: limit) }
        if let cached = game as? CachedGame { return try cached.allValues() }
        let total = 1 << n
        let buffer = ResultBuffer(count: total)
        let chunkCount = min(total, max(1, ProcessInfo.processInfo.activeProcessorCount * 16))
        let chunkSize = (total + chunkCount - 1) / chunkCount
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let start = chunk * chunkSize
            let end = min(total, start + chunkSize)
            var mask = start
            while mask < end {
                buffer.set(mask, game.value(of: UInt64(mask)))
                mask += 1
            }
        }
        return buffer.values
    }

    /// φ_i = Σ_{S∌i} |S|!(N−|S|−1)!/N! · [v(S∪i) − v(S)], O(N·2^N).
    static func shapley(_ table: [Double], playerCount n: Int) -> [Double] {
        guard n > 0 else { return [] }
        // weight(s) = 1 / (N · C(N−1, s))
        var binomial = [Double](repeating: 1, count: n)
        for s in 1..<max(1, n) { binomial[s] = binomial[s - 1] * Double(n - s) / Double(s) }
        let weights = binomial.map { 1 / (Double(n) * $0) }
        return marginalSums(table, playerCount: n) { weights[$0] }
    }

    /// β_i = 2^{−(N−1)} Σ_{S∌i} [v(S∪i) − v(S)], O(N·2^N).
    static func banzhaf(_ table: [Double], playerCount n: Int) -> [Double] {
        guard n > 0 else { return [] }
        let weight = 1 / Double(1 << (n - 1))
        return marginalSums(table, playerCount: n) { _ in weight }
    }

    /// Marginal contributions averaged uniformly over coalition sizes s = |S| ∈ [minSize, N−1] (each size's mean over
    /// the C(N−1, s) coalitions S ∌ i): Shapley's weighting restricted to large coalitions; minSize 0 is Shapley,
    /// N−1 leave-one-out.
    static func largeCoalitionShapley(_ table: [Double], playerCount n: Int, minSize: Int) -> [Double] {
        guard n > 0 else { return [] }
        let m = min(max(minSize, 0), n - 1)
        var binomial = [Double](repeating: 1, count: n)
        for s in 1..<max(1, n) { binomial[s] = binomial[s - 1] * Double(n - s) / Double(s) }
        let sizes = Double(n - m)
        return marginalSums(table, playerCount: n) { s in s >= m ? 1 / (sizes * binomial[s]) : 0 }
    }

    private static func marginalSums(_ table: [Double], playerCount n: Int, weight: (Int) -> Double) -> [Double] {
        let weights = (0..<n).map(weight)
        var phi = [Double](repeating: 0, count: n)
        for mask in 0..<(1 << n) {
            let w = weights[min(n - 1, mask.nonzeroBitCount)]
            let base = table[mask]
            for i in 0..<n where mask & (1 << i) == 0 {
                phi[i] += w * (table[mask | (1 << i)] - base)
            }
        }
        return phi
    }
}

/// Disjoint-index writes from concurrentPerform; each index is written by exactly one chunk, read after the join.
private final class ResultBuffer: @unchecked Sendable {
    private let pointer: UnsafeMutablePointer<Double>
    private let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit { pointer.deallocate() }

    func set(_ index: Int, _ value: Double) { pointer[index] = value }

    var values: [Double] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

extension RoundInput {
    /// Checks the input for `evaluator`, then all 2^N values of its game indexed by mask (at most `limit` players).
    func coalitionValues(for evaluator: String, limit: Int) throws -> [Double] {
        try validate(for: evaluator)
        return try CoalitionTable.values(of: game, evaluator: evaluator, limit: limit)
    }
}
