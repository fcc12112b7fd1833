import Testing
@testable import Attribution

private func banzhaf(_ game: any CoalitionGame, options: [String: Double] = [:]) throws -> [Double] {
    try EvaluatorRegistry.make("banzhaf", options: options).evaluate(TestGames.input(game))
}

private func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-12) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
}

@Test func additiveGameBanzhafEqualsWeights() throws {
    let weights = [0.5, -0.25, 2, 0]
    #expect(close(try banzhaf(TestGames.additive(weights)), weights))
}

@Test func weightedMajorityBanzhafByHand() throws {
    // [q=3; 2,1,1]: A swings in 3 of its 4 coalitions without it ({B}, {C}, {B,C}); B and C only in {A}.
    let raw = try banzhaf(TestGames.weightedMajority(quota: 3, weights: [2, 1, 1]))
    #expect(close(raw, [0.75, 0.25, 0.25]))
    let total = raw.reduce(0, +)
    #expect(close(raw.map { $0 / total }, [0.6, 0.2, 0.2]))
}

@Test func gloveGameBanzhafByHand() throws {
    let game = FunctionGame(playerCount: 3) { mask in
        Double(min(Int(mask & 1), (mask >> 1 & 1 == 1 ? 1 : 0) + (mask >> 2 & 1 == 1 ? 1 : 0)))
    }
    #expect(close(try banzhaf(game), [0.75, 0.25, 0.25]))
}

@Test func banzhafLinearity() throws {
    let n = 9
    let v = TestGames.randomTable(playerCount: n, seed: 11)
    let w = TestGames.randomTable(playerCount: n, seed: 12)
    let bv = try banzhaf(TestGames.table(v, playerCount: n))
    let bw = try banzhaf(TestGames.table(w, playerCount: n))
    let bsum = try banzhaf(TestGames.table(zip(v, w).map { 2 * $0 - $1 }, playerCount: n))
    #expect(close(bsum, zip(bv, bw).map { 2 * $0 - $1 }, 1e-9))
}

/// MSR estimate vs exact at N = 10…12 with 20 000 samples.
/// Tolerance per player: β̂_i is a difference of two sample means over ~m/2 coalitions each, so its standard error is
/// se_i = sqrt(Var(v | i∈S)/(m/2) + Var(v | i∉S)/(m/2)) (computed exactly from the table below); we allow 4·se_i
/// (a Gaussian 4σ event has probability 6e-5, and the seeds are fixed, so the test is deterministic).
@Test(arguments: [10, 11, 12])
func sampledBanzhafWithinTolerance(n: Int) throws {
    let samples = 20_000
    let (game, _) = TestGames.utilityLike(playerCount: n, seed: UInt64(100 + n))
    let table = TestGames.tableOf(game)
    let exactValues = try banzhaf(game)
    let evaluator = try EvaluatorRegistry.make("banzhaf", options: ["exactLimit": 0, "samples": Double(samples), "seed": 5])
    let estimate = try evaluator.evaluate(TestGames.input(game))
    #expect((evaluator as? BanzhafEvaluator)?.lastUsedSampling == true)
    var largestBound = 0.0
    for i in 0..<n {
        var inside: [Double] = [], outside: [Double] = []
        for mask in 0..<(1 << n) { (mask & (1 << i) != 0 ? { inside.append(table[mask]) } : { outside.append(table[mask]) })() }
        func variance(_ xs: [Double]) -> Double {
            let mean = xs.reduce(0, +) / Double(xs.count)
            return xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count)
        }
        let se = (variance(inside) / Double(samples / 2) + variance(outside) / Double(samples / 2)).squareRoot()
        largestBound = max(largestBound, 4 * se)
        #expect(abs(estimate[i] - exactValues[i]) <= 4 * se, "player \(i): \(estimate[i]) vs \(exactValues[i]), 4·se = \(4 * se)")
    }
    // The bound is meaningful: well below the spread of the values being estimated.
    let spread = exactValues.max()! - exactValues.min()!
    #expect(largestBound < 0.25 * spread, "4·se \(largestBound) vs spread \(spread)")
}

@Test func sampledBanzhafIsDeterministicPerSeed() throws {
    let (game, _) = TestGames.utilityLike(playerCount: 14, seed: 3)
    let a = try banzhaf(game, options: ["samples": 500, "seed": 9])
    let b = try banzhaf(game, options: ["samples": 500, "seed": 9])
    let c = try banzhaf(game, options: ["samples": 500, "seed": 10])
    #expect(a == b)
    #expect(a != c)
}
