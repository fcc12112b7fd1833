import Foundation

/// Banzhaf values of the round game: exact for N ≤ exactLimit, otherwise the maximum-sample-reuse estimator
/// (Wang & Jia, 2023): β_i ≈ mean v over sampled coalitions containing i − mean v over those without i.
public final class BanzhafEvaluator: Evaluator, @unchecked Sendable {
    /// Hard ceiling for `exactLimit`.
    public static let exactCeiling = 20

    public let name = "banzhaf"
    public let exactLimit: Int
    public let samples: Int
    public let seed: UInt64
    // Unchecked Sendable: `lastSampledStorage` is only touched under `lock`.
    private let lock = NSLock()
    private var lastSampledStorage = false

    public init(exactLimit: Int = 12, samples: Int = 2000, seed: UInt64 = 0) {
        self.exactLimit = min(exactLimit, Self.exactCeiling)
        self.samples = max(1, samples)
        self.seed = seed
    }

    /// Whether the last `evaluate` used MSR sampling rather than the exact formula.
    public var lastUsedSampling: Bool {
        lock.lock()
        defer { lock.unlock() }
        return lastSampledStorage
    }

    public func evaluate(_ input: RoundInput) throws -> [Double] {
        try input.validate(for: name)
        let game = input.game
        let n = game.playerCount
        let sampled = n > exactLimit
        lock.lock()
        lastSampledStorage = sampled
        lock.unlock()
        if !sampled {
            let table = try CoalitionTable.values(of: game, evaluator: name, limit: exactLimit)
            return CoalitionTable.banzhaf(table, playerCount: n)
        }
        return Self.maximumSampleReuse(game, samples: samples, seed: seed, round: input.round)
    }

    /// MSR estimate from `samples` coalitions drawn uniformly (each player in with probability 1/2).
    static func maximumSampleReuse(_ game: any CoalitionGame, samples: Int, seed: UInt64, round: Int) -> [Double] {
        let n = game.playerCount
        var rng = SplitMix64(seed: seed, round: round)
        var inSum = [Double](repeating: 0, count: n), outSum = [Double](repeating: 0, count: n)
        var inCount = [Int](repeating: 0, count: n), outCount = [Int](repeating: 0, count: n)
        for _ in 0..<samples {
            let coalition = Coalition.random(among: n, using: &rng)
            let value = game.value(of: coalition)
            for i in 0..<n {
                if coalition.contains(i) {
                    inSum[i] += value
                    inCount[i] += 1
                } else {
                    outSum[i] += value
                    outCount[i] += 1
                }
            }
        }
        return (0..<n).map { i in
            let with = inCount[i] > 0 ? inSum[i] / Double(inCount[i]) : 0
            let without = outCount[i] > 0 ? outSum[i] / Double(outCount[i]) : 0
            return with - without
        }
    }
}
