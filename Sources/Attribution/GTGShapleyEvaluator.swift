import Foundation

/// Guided Truncation Gradient Shapley (Liu et al., 2022): Monte-Carlo permutation Shapley of the round game with
/// between-round truncation, within-round truncation, guided (first-position cycling) sampling and a convergence stop.
public final class GTGShapleyEvaluator: Evaluator, @unchecked Sendable {
    /// Tunables; see docs/ATTRIBUTION.md for the meaning and defaults.
    public struct Parameters: Sendable, Equatable {
        public var epsilonBetween: Double = 1e-4
        public var epsilonWithin: Double = 1e-4
        public var convergenceTolerance: Double = 0.01
        public var convergenceWindow: Int = 10
        public var maxPermutations: Int = 500
        public var seed: UInt64 = 0

        public init() {}
    }

    /// What the last `evaluate` did (for logs and benchmarks).
    public struct RunInfo: Sendable, Equatable {
        public var round: Int
        public var permutations: Int
        public var truncatedRound: Bool
        public var converged: Bool
        public var truncatedPositions: Int
    }

    public let name = "gtg-shapley"
    public let parameters: Parameters
    // Unchecked Sendable: `lastRunStorage` is only touched under `lock`.
    private let lock = NSLock()
    private var lastRunStorage: RunInfo?

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    public var lastRun: RunInfo? {
        lock.lock()
        defer { lock.unlock() }
        return lastRunStorage
    }

    public func evaluate(_ input: RoundInput) throws -> [Double] {
        try input.validate(for: name)
        let game = input.game
        let n = game.playerCount
        guard n > 0 else { return [] }
        let p = parameters
        let empty = game.value(of: Coalition())
        let total = game.value(of: game.grandCoalition)
        var info = RunInfo(round: input.round, permutations: 0, truncatedRound: false, converged: false, truncatedPositions: 0)
        defer {
            lock.lock()
            lastRunStorage = info
            lock.unlock()
        }
        if abs(total - empty) < p.epsilonBetween {
            info.truncatedRound = true
            return [Double](repeating: 0, count: n)
        }
        var rng = SplitMix64(seed: p.seed, round: input.round)
        var phi = [Double](repeating: 0, count: n)
        var changes: [Double] = []
        let minimum = max(n, p.convergenceWindow + 1)
        var order = [Int](repeating: 0, count: n)
        for k in 0..<p.maxPermutations {
            // Guided sampling: player k mod N goes first, the rest in uniformly random order.
            let first = k % n
            order[0] = first
            var slot = 1
            for player in 0..<n where player != first {
                order[slot] = player
                slot += 1
            }
            if n > 2 {
                for i in stride(from: n - 1, to: 1, by: -1) {
                    let j = 1 + Int(rng.next() % UInt64(i))
                    order.swapAt(i, j)
                }
            }
            let weight = 1 / Double(k + 1)
            var previous = empty
            var prefix = Coalition()
            var changeSum = 0.0
            for position in 0..<n {
                let player = order[position]
                prefix.insert(player)
                let current: Double
                if abs(total - previous) < p.epsilonWithin {
                    current = previous
                    info.truncatedPositions += 1
                } else {
                    current = game.value(of: prefix)
                }
                let updated = phi[player] + (current - previous - phi[player]) * weight
                changeSum += abs(updated - phi[player])
                phi[player] = updated
                previous = current
            }
            info.permutations = k + 1
            let scale = phi.reduce(0) { $0 + abs($1) }
            changes.append(scale > 0 ? changeSum / scale : (changeSum > 0 ? .infinity : 0))
            if k + 1 >= minimum {
                let recent = changes.suffix(p.convergenceWindow)
                if recent.reduce(0, +) / Double(recent.count) < p.convergenceTolerance {
                    info.converged = true
                    break
                }
            }
        }
        return phi
    }
}
