import Foundation
@_exported import TestSupport
@testable import Attribution

/// Small games with known values, shared by the tests.
enum TestGames {
    /// v(S) = Σ_{i∈S} w_i, for any number of players.
    static func additive(_ weights: [Double]) -> FunctionGame {
        FunctionGame(playerCount: weights.count) { (coalition: Coalition) in
            coalition.players.reduce(0) { $0 + weights[$1] }
        }
    }

    /// Weighted majority [quota; weights]: v(S) = 1 if Σ_{i∈S} w_i ≥ quota else 0.
    static func weightedMajority(quota: Double, weights: [Double]) -> FunctionGame {
        let sum = additive(weights)
        return FunctionGame(playerCount: weights.count) { sum.value(of: $0) >= quota ? 1 : 0 }
    }

    /// A game from an explicit table of 2^N values.
    static func table(_ values: [Double], playerCount: Int) -> FunctionGame {
        FunctionGame(playerCount: playerCount) { values[Int($0)] }
    }

    static func input(_ game: any CoalitionGame, round: Int = 1, updates: [[Float]] = [], aggregate: [Float] = []) -> RoundInput {
        let n = game.playerCount
        return RoundInput(round: round, clients: (0..<n).map { "client-\($0)" }, sampleCounts: [Int](repeating: 100, count: n),
                          updates: updates, aggregate: aggregate, game: game)
    }
}

extension TestGames {
    /// Shapley values by enumerating all N! orderings (independent of the subset-weight formula); N ≤ 7.
    static func permutationShapley(_ game: any CoalitionGame) -> [Double] {
        let n = game.playerCount
        var phi = [Double](repeating: 0, count: n)
        var count = 0.0
        func visit(_ prefix: [Int], _ remaining: [Int]) {
            if remaining.isEmpty {
                var mask: UInt64 = 0
                var previous = game.value(of: 0)
                for p in prefix {
                    mask |= UInt64(1) << UInt64(p)
                    let v = game.value(of: mask)
                    phi[p] += v - previous
                    previous = v
                }
                count += 1
                return
            }
            for (k, p) in remaining.enumerated() {
                var rest = remaining
                rest.remove(at: k)
                visit(prefix + [p], rest)
            }
        }
        visit([], Array(0..<n))
        return phi.map { $0 / count }
    }

    /// A random table game with v(∅) = 0 and values in [−1, 1].
    static func randomTable(playerCount n: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<(1 << n)).map { $0 == 0 ? 0 : Double(rng.next() % 2_000_001) / 1_000_000 - 1 }
    }

    /// A "utility-like" round game: v(S) = a·(1 − exp(−k·Σ_{i∈S} w_i)) with heterogeneous positive client weights
    /// (a few near-null clients), i.e. accuracy gain that saturates as more useful updates are averaged in.
    static func utilityLike(playerCount n: Int, seed: UInt64) -> (game: FunctionGame, weights: [Double]) {
        var rng = SplitMix64(seed: seed)
        let weights = (0..<n).map { i -> Double in
            let u = Double(rng.next() % 1_000_000) / 1_000_000
            return i % 4 == 3 ? 0.01 * u : 0.2 + u
        }
        let total = weights.reduce(0, +)
        let gain = 0.3, steepness = 3 / total
        let game = FunctionGame(playerCount: n) { mask in
            var s = 0.0
            for i in 0..<n where mask & (UInt64(1) << UInt64(i)) != 0 { s += weights[i] }
            return gain * (1 - exp(-steepness * s))
        }
        return (game, weights)
    }

    /// Per-player standard deviation of the marginal contribution under a uniformly random ordering, from a full table.
    static func marginalStandardDeviations(_ table: [Double], playerCount n: Int) -> [Double] {
        var binomial = [Double](repeating: 1, count: n)
        for s in 1..<max(1, n) { binomial[s] = binomial[s - 1] * Double(n - s) / Double(s) }
        var mean = [Double](repeating: 0, count: n), square = [Double](repeating: 0, count: n)
        for mask in 0..<(1 << n) {
            let w = 1 / (Double(n) * binomial[mask.nonzeroBitCount == n ? n - 1 : mask.nonzeroBitCount])
            for i in 0..<n where mask & (1 << i) == 0 {
                let d = table[mask | (1 << i)] - table[mask]
                mean[i] += w * d
                square[i] += w * d * d
            }
        }
        return (0..<n).map { max(0, square[$0] - mean[$0] * mean[$0]).squareRoot() }
    }

    static func tableOf(_ game: any CoalitionGame) -> [Double] {
        (0..<(1 << game.playerCount)).map { game.value(of: UInt64($0)) }
    }
}
