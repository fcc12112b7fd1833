@testable import Attribution

/// Small games with known values, shared by the tests.
enum TestGames {
    /// v(S) = Σ_{i∈S} w_i.
    static func additive(_ weights: [Double]) -> FunctionGame {
        FunctionGame(playerCount: weights.count) { mask in
            var sum = 0.0
            for (i, w) in weights.enumerated() where mask & (UInt64(1) << UInt64(i)) != 0 { sum += w }
            return sum
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
