import Testing
@testable import Attribution

private func exact(_ game: any CoalitionGame) throws -> [Double] {
    try EvaluatorRegistry.make("shapley-exact").evaluate(TestGames.input(game))
}

private func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-12) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
}

@Test func additiveGameShapleyEqualsWeights() throws {
    let weights = [0.5, -0.25, 2, 0, 1.125]
    #expect(close(try exact(TestGames.additive(weights)), weights))
}

@Test func weightedMajorityShapleyByHand() throws {
    // [q=3; 2,1,1]: A is pivotal in 4 of 6 orderings, B and C in one each.
    let game = TestGames.weightedMajority(quota: 3, weights: [2, 1, 1])
    #expect(close(try exact(game), [2.0 / 3, 1.0 / 6, 1.0 / 6]))
}

@Test func gloveGameShapleyByHand() throws {
    // One left glove (player 0), two right gloves (1, 2); a pair is worth 1.
    let game = FunctionGame(playerCount: 3) { mask in
        let left = Int(mask & 1), right = (mask >> 1 & 1 == 1 ? 1 : 0) + (mask >> 2 & 1 == 1 ? 1 : 0)
        return Double(min(left, right))
    }
    #expect(close(try exact(game), [2.0 / 3, 1.0 / 6, 1.0 / 6]))
}

@Test func symmetricPlayersGetEqualValuesAndNullPlayerZero() throws {
    // Players 1 and 3 are interchangeable; player 4 never changes any value.
    let game = FunctionGame(playerCount: 5) { mask in
        let m = mask & 0b01111
        let a = Double(m & 1), b = Double((m >> 1) & 1) + Double((m >> 3) & 1), c = Double((m >> 2) & 1)
        return a * b + 0.5 * b * b + 2 * c * a - c
    }
    let phi = try exact(game)
    #expect(abs(phi[1] - phi[3]) < 1e-12)
    #expect(abs(phi[4]) < 1e-12)
    #expect(abs(phi[1]) > 0.1)
}

@Test(arguments: [3, 5, 6])
func exactShapleyMatchesOrderingEnumeration(n: Int) throws {
    let table = TestGames.randomTable(playerCount: n, seed: UInt64(n) * 7)
    let game = TestGames.table(table, playerCount: n)
    #expect(close(try exact(game), TestGames.permutationShapley(game), 1e-12))
}

@Test func exactShapleyEfficiencyAndLinearity() throws {
    let n = 10
    let v = TestGames.randomTable(playerCount: n, seed: 1)
    let w = TestGames.randomTable(playerCount: n, seed: 2)
    let phiV = try exact(TestGames.table(v, playerCount: n))
    let phiW = try exact(TestGames.table(w, playerCount: n))
    let sum = zip(v, w).map { $0 + 3 * $1 }
    let phiSum = try exact(TestGames.table(sum, playerCount: n))
    // Efficiency: Σ φ_i = v(N) − v(∅).
    #expect(abs(phiV.reduce(0, +) - v[(1 << n) - 1]) < 1e-9)
    // Linearity: φ(v + 3w) = φ(v) + 3 φ(w).
    #expect(close(phiSum, zip(phiV, phiW).map { $0 + 3 * $1 }, 1e-9))
}

@Test func exactShapleyRefusesTooManyPlayers() throws {
    let game = FunctionGame(playerCount: 17) { _ in 1 }
    #expect(throws: AttributionError.tooManyPlayers(evaluator: "shapley-exact", count: 17, limit: 16)) {
        try exact(game)
    }
    let lowered = try EvaluatorRegistry.make("shapley-exact", options: ["maxPlayers": 4])
    do {
        _ = try lowered.evaluate(TestGames.input(FunctionGame(playerCount: 5) { _ in 1 }))
        Issue.record("5 players accepted with maxPlayers 4")
    } catch let error as AttributionError {
        #expect(error == .tooManyPlayers(evaluator: "shapley-exact", count: 5, limit: 4))
        #expect(error.description.contains("5 players exceed the limit of 4"))
    }
    // The limit cannot be raised above 16.
    #expect(throws: AttributionError.self) { try EvaluatorRegistry.make("shapley-exact", options: ["maxPlayers": 17]) }
}

@Test func multiRoundShapleyWeightsAndAccumulates() throws {
    let evaluator = try EvaluatorRegistry.make("mr-shapley", options: ["decay": 0.5])
    let mr = try #require(evaluator as? MultiRoundShapleyEvaluator)
    let first = try mr.evaluate(TestGames.input(TestGames.additive([1, 2, 4]), round: 3))
    let second = try mr.evaluate(TestGames.input(TestGames.additive([1, 2, 4]), round: 4))
    let fourth = try mr.evaluate(TestGames.input(TestGames.additive([1, 2, 4]), round: 6))
    #expect(close(first, [1, 2, 4]))
    #expect(close(second, [0.5, 1, 2]))
    #expect(close(fourth, [0.125, 0.25, 0.5]))
    #expect(abs(mr.accumulated["client-2"]! - (4 + 2 + 0.5)) < 1e-12)
    // Uniform weights by default.
    let uniform = try EvaluatorRegistry.make("mr-shapley")
    _ = try uniform.evaluate(TestGames.input(TestGames.additive([1, 2]), round: 1))
    #expect(close(try uniform.evaluate(TestGames.input(TestGames.additive([1, 2]), round: 9)), [1, 2]))
}

@Test func multiRoundShapleyStateSurvivesACheckpointAndBadStateIsRefused() throws {
    let game = TestGames.additive([1, 2, 4])
    let running = MultiRoundShapleyEvaluator(decay: 0.5)
    _ = try running.evaluate(TestGames.input(game, round: 3))
    _ = try running.evaluate(TestGames.input(game, round: 4))
    let state = try running.checkpointState()
    // A fresh evaluator (the resumed coordinator's) continues from the state: λ still counts from round 3.
    let resumed = MultiRoundShapleyEvaluator(decay: 0.5)
    try resumed.restore(checkpointState: state)
    let next = try resumed.evaluate(TestGames.input(game, round: 5))
    #expect(next == (try running.evaluate(TestGames.input(game, round: 5))))
    #expect(close(next, [0.25, 0.5, 1]))
    #expect(resumed.accumulated == running.accumulated && abs(resumed.accumulated["client-0"]! - 1.75) < 1e-12)
    // Without the state it would restart λ at 1: the difference the checkpoint exists for.
    #expect(close(try MultiRoundShapleyEvaluator(decay: 0.5).evaluate(TestGames.input(game, round: 5)), [1, 2, 4]))
    for bad in ["", "[]", "{\"totals\":{\"client-0\":\"x\"}}"] {
        #expect(throws: AttributionError.self, "\(bad)") { try resumed.restore(checkpointState: bad) }
    }
    #expect(resumed.accumulated == running.accumulated, "a refused state changes nothing")
}
