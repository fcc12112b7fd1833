import Testing
@testable import Attribution

private func gtg(_ options: [String: Double] = [:]) throws -> GTGShapleyEvaluator {
    try #require(try EvaluatorRegistry.make("gtg-shapley", options: options) as? GTGShapleyEvaluator)
}

/// GTG-Shapley with default parameters vs exact Shapley on saturating "utility-like" games, N = 8…12, 3 games each.
/// Tolerance per player: each permutation yields one marginal sample per player, so with M permutations the
/// Monte-Carlo standard error is σ_i/√M, σ_i being the exact standard deviation of player i's marginal contribution
/// over uniformly random orderings (computed from the full table; guided first-position cycling only stratifies,
/// which does not increase it). These games are monotone, so a truncated position hides a marginal in [0, ε_w):
/// truncation bias is below ε_w. Allowed error: 4·σ_i/√M + ε_w. Measured: worst ratio ≈ 1.8σ, M ≈ 72.
/// Also the relative L1 error Σ|φ̂−φ|/Σ|φ| must stay below 15% (measured 4–9%).
@Test(arguments: [8, 9, 10, 11, 12])
func gtgShapleyCloseToExact(n: Int) throws {
    for seed in 0..<3 {
        let (function, _) = TestGames.utilityLike(playerCount: n, seed: UInt64(n * 31 + seed))
        let game = CachedGame(playerCount: n) { function.value(of: $0) }
        let table = TestGames.tableOf(function)
        let exact = CoalitionTable.shapley(table, playerCount: n)
        let sd = TestGames.marginalStandardDeviations(table, playerCount: n)
        let evaluator = try gtg(["seed": Double(seed)])
        let estimate = try evaluator.evaluate(TestGames.input(game))
        let run = try #require(evaluator.lastRun)
        let m = Double(run.permutations)
        #expect(run.converged)
        #expect(run.permutations >= n)
        for i in 0..<n {
            let bound = 4 * sd[i] / m.squareRoot() + evaluator.parameters.epsilonWithin
            #expect(abs(estimate[i] - exact[i]) <= bound, "n \(n) seed \(seed) player \(i): \(estimate[i]) vs \(exact[i]) (bound \(bound))")
        }
        let relative = zip(estimate, exact).map { abs($0 - $1) }.reduce(0, +) / exact.map(abs).reduce(0, +)
        #expect(relative < 0.15)
        // It needs fewer utility evaluations than the 2^N − 1 of exact Shapley.
        #expect(game.evaluations < (1 << n) - 1)
    }
}

@Test func gtgIsDeterministicPerSeed() throws {
    let (game, _) = TestGames.utilityLike(playerCount: 9, seed: 4)
    let a = try gtg(["seed": 3]).evaluate(TestGames.input(game))
    let b = try gtg(["seed": 3]).evaluate(TestGames.input(game))
    let c = try gtg(["seed": 4]).evaluate(TestGames.input(game))
    #expect(a == b)
    #expect(a != c)
}

@Test func gtgBetweenRoundTruncationGivesZerosWithOneEvaluation() throws {
    let game = CachedGame(playerCount: 6) { mask in 0.00001 * Double(mask.nonzeroBitCount) }
    let evaluator = try gtg(["epsilonBetween": 1e-4])
    #expect(try evaluator.evaluate(TestGames.input(game)) == [0, 0, 0, 0, 0, 0])
    #expect(evaluator.lastRun?.truncatedRound == true)
    #expect(game.evaluations == 1)   // only v(N)
}

@Test func gtgWithinRoundTruncationSkipsPlayersAfterSaturation() throws {
    // Player 0 carries all the value: once it is in the prefix v(prefix) = v(N) and the rest are truncated.
    let game = CachedGame(playerCount: 5) { mask in mask & 1 == 1 ? 0.5 : 0 }
    let evaluator = try gtg(["epsilonWithin": 1e-9, "maxPermutations": 20, "convergenceTolerance": 0])
    let phi = try evaluator.evaluate(TestGames.input(game))
    #expect(phi == [0.5, 0, 0, 0, 0])
    let run = try #require(evaluator.lastRun)
    #expect(run.permutations == 20)
    #expect(run.truncatedPositions > 0)
    // The same orderings without truncation look up every coalition along them; with it, none after player 0.
    let full = CachedGame(playerCount: 5) { mask in mask & 1 == 1 ? 0.5 : 0 }
    let untruncated = try gtg(["epsilonWithin": 0, "maxPermutations": 20, "convergenceTolerance": 0])
    #expect(try untruncated.evaluate(TestGames.input(full)) == [0.5, 0, 0, 0, 0])
    #expect(untruncated.lastRun?.truncatedPositions == 0)
    #expect(game.evaluations < full.evaluations, "truncated \(game.evaluations) vs full \(full.evaluations) evaluations")
}

@Test func gtgGuidedSamplingPutsPlayerZeroFirstInTheFirstPermutation() throws {
    let game = FunctionGame(playerCount: 4) { mask in Double(mask.nonzeroBitCount * mask.nonzeroBitCount) + (mask & 1 == 1 ? 0.25 : 0) }
    let one = try gtg(["maxPermutations": 1, "epsilonWithin": 0]).evaluate(TestGames.input(game))
    #expect(one[0] == 1.25)   // v({0}) − v(∅): player 0 went first
    let four = try gtg(["maxPermutations": 4, "epsilonWithin": 0, "convergenceTolerance": 0])
    _ = try four.evaluate(TestGames.input(game))
    #expect(four.lastRun?.permutations == 4)
}

@Test func gtgEfficiencyHoldsPerPermutation() throws {
    // Every permutation's marginals telescope to v(N), so the running average sums to v(N) (no truncation).
    let table = TestGames.randomTable(playerCount: 7, seed: 21)
    let phi = try gtg(["epsilonWithin": 0, "maxPermutations": 37, "convergenceTolerance": 0])
        .evaluate(TestGames.input(TestGames.table(table, playerCount: 7)))
    #expect(abs(phi.reduce(0, +) - table[127]) < 1e-12)
}
