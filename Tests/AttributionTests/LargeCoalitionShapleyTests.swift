import Testing
@testable import Attribution

/// Large-coalition Shapley on games with known answers: additive games, its two limits (Shapley and leave-one-out),
/// and a "filler" who only helps coalitions that lack what others cover.
struct LargeCoalitionShapleyTests {
    @Test func additiveGameGivesEachPlayerItsWeight() throws {
        let weights = [0.3, -0.1, 0.5, 0.05, 0.2]
        let values = try LargeCoalitionShapleyEvaluator().evaluate(TestGames.input(TestGames.additive(weights)))
        for (v, w) in zip(values, weights) { #expect(abs(v - w) < 1e-12) }
    }

    @Test func limitsAreExactShapleyAndLeaveOneOut() throws {
        let table = (0..<32).map { mask -> Double in Double((mask * 7919) % 101) / 100 - Double(mask.nonzeroBitCount) * 0.03 }
        let game = TestGames.table(table.enumerated().map { $0.offset == 0 ? 0 : $0.element }, playerCount: 5)
        let input = TestGames.input(game)
        let shapley = try ExactShapleyEvaluator().evaluate(input)
        let zero = try LargeCoalitionShapleyEvaluator(minFraction: 0).evaluate(input)
        for (a, b) in zip(shapley, zero) { #expect(abs(a - b) < 1e-12) }
        let loo = try LeaveOneOutEvaluator().evaluate(input)
        let one = try LargeCoalitionShapleyEvaluator(minFraction: 1).evaluate(input)
        for (a, b) in zip(loo, one) { #expect(abs(a - b) < 1e-12) }
    }

    @Test func fillerWhoOnlyHelpsSmallCoalitionsGetsNoCredit() throws {
        // v(S) = 1 if S holds player 1 or 2; v({0}) = 0.5: player 0 only helps when nobody else is there.
        let game = FunctionGame(playerCount: 3) { mask in mask & 0b110 != 0 ? 1 : (mask == 0b001 ? 0.5 : 0) }
        let input = TestGames.input(game)
        // Shapley: player 0 adds 0.5 only when first (2 of 6 orders): 1/6.
        let shapley = try ExactShapleyEvaluator().evaluate(input)
        #expect(abs(shapley[0] - 1.0 / 6) < 1e-12)
        // minFraction 0.5 with N = 3: coalitions of ≥ 1 other. Player 0 adds nothing there; player 1 adds 0.5 to {0},
        // 0 to {2} (size-1 mean 0.25) and 0 to {0, 2} (size 2): (0.25 + 0) / 2.
        let large = try LargeCoalitionShapleyEvaluator().evaluate(input)
        #expect(abs(large[0]) < 1e-12)
        #expect(abs(large[1] - 0.125) < 1e-12 && abs(large[2] - 0.125) < 1e-12)
        #expect(LargeCoalitionShapleyEvaluator().minSize(players: 10) == 5)
    }

    @Test func registryBuildsItWithOptionsAndRefusesBadOnes() throws {
        let e = try EvaluatorRegistry.make("large-coalition-shapley", options: ["minFraction": 0.75])
        #expect((e as? LargeCoalitionShapleyEvaluator)?.minFraction == 0.75)
        #expect(throws: (any Error).self) { try EvaluatorRegistry.make("large-coalition-shapley", options: ["minFraction": 2]) }
        #expect(throws: (any Error).self) { try EvaluatorRegistry.make("large-coalition-shapley", options: ["bogus": 1]) }
    }
}
