import Testing
@testable import Attribution

/// Excess-clipped Shapley on games with known answers: no excess leaves Shapley untouched, a "filler" who only helps
/// the empty coalition is cut to the cohort's median excess, totals carry over rounds and through a checkpoint.
struct ExcessClippedShapleyTests {
    /// The other players add their weight anywhere (`weights` in player order, skipping the filler); the filler
    /// (player 0 unless told) is worth f alone and nothing next to anyone else.
    static func fillerGame(weights: [Double], filler f: Double, fillerPlayer k: Int = 0) -> FunctionGame {
        let others = (0...weights.count).filter { $0 != k }
        return FunctionGame(playerCount: weights.count + 1) { mask in
            if mask == 1 << k { return f }
            return zip(others, weights).reduce(0) { mask & (1 << $1.0) != 0 ? $0 + $1.1 : $0 }
        }
    }

    @Test func withoutExcessItIsExactShapley() throws {
        let weights = [0.3, -0.1, 0.5, 0.05, 0.2]
        let input = TestGames.input(TestGames.additive(weights))
        let values = try ExcessClippedShapleyEvaluator().evaluate(input)
        let shapley = try ExactShapleyEvaluator().evaluate(input)
        for (v, s) in zip(values, shapley) { #expect(abs(v - s) < 1e-12) }
    }

    @Test func fillerIsCutToTheMedianExcess() throws {
        // N = 4. Shapley: filler f/4 (it is first in 1/4 of the orders), player i: w_i − f/12 (it joins {0} in 1/12 of
        // them). Large-coalition (sizes 2, 3 of the others): filler 0, player i: w_i. Excesses f/4, −f/12, −f/12, −f/12:
        // median −f/12, MAD 0, so the filler gets 0 + (−f/12) and the others keep their Shapley values.
        let game = Self.fillerGame(weights: [0.2, 0.3, 0.4], filler: 0.6)
        let input = TestGames.input(game)
        let shapley = try ExactShapleyEvaluator().evaluate(input)
        for (s, expected) in zip(shapley, [0.15, 0.15, 0.25, 0.35]) { #expect(abs(s - expected) < 1e-12) }
        let clipped = try ExcessClippedShapleyEvaluator().evaluate(input)
        for (v, expected) in zip(clipped, [-0.05, 0.15, 0.25, 0.35]) { #expect(abs(v - expected) < 1e-12) }
        // Three equal excesses leave no spread (MAD 0): any κ keeps the cap at the median.
        let loose = try ExcessClippedShapleyEvaluator(kappa: 1000).evaluate(input)
        for (v, c) in zip(loose, clipped) { #expect(abs(v - c) < 1e-12) }
    }

    @Test func clipUsesMedianPlusScaledMAD() {
        // Excesses 0, 1, 2, 10 → median 1.5, MAD 1 (|−1.5|, |−0.5|, |0.5|, |8.5| → 0.5 and 1.5 → 1.0), cap 1.5 + κ·1.4826.
        let large = [1.0, 1.0, 1.0, 1.0]
        let shapley = [1.0, 2.0, 3.0, 11.0]
        let none = ExcessClippedShapleyEvaluator.clip(shapley: shapley, large: large, kappa: 0)
        #expect(none == [1.0, 2.0, 2.5, 2.5])
        let one = ExcessClippedShapleyEvaluator.clip(shapley: shapley, large: large, kappa: 1)
        #expect(one.prefix(3) == [1.0, 2.0, 3.0][...])
        #expect(abs(one[3] - (1 + 1.5 + 1.4826)) < 1e-12)
        // A cap far above every excess changes nothing.
        #expect(ExcessClippedShapleyEvaluator.clip(shapley: shapley, large: large, kappa: 1000) == shapley)
        #expect(ExcessClippedShapleyEvaluator.clip(shapley: [], large: [], kappa: 0).isEmpty)
    }

    @Test func roundValuesSumToTheClippedTotals() throws {
        let rounds: [FunctionGame] = [TestGames.additive([0.1, 0.2, 0.3, 0.4]),
                                      Self.fillerGame(weights: [0.2, 0.3, 0.4], filler: 0.6),
                                      Self.fillerGame(weights: [0.1, 0.1, 0.5], filler: 0.9)]
        let evaluator = ExcessClippedShapleyEvaluator(minFraction: 0.5)
        var sums = [Double](repeating: 0, count: 4), phi = sums, psi = sums
        for (r, game) in rounds.enumerated() {
            let input = TestGames.input(game, round: r + 1)
            for (i, v) in try evaluator.evaluate(input).enumerated() { sums[i] += v }
            for (i, v) in try ExactShapleyEvaluator().evaluate(input).enumerated() { phi[i] += v }
            for (i, v) in try LargeCoalitionShapleyEvaluator(minFraction: 0.5).evaluate(input).enumerated() { psi[i] += v }
        }
        let expected = ExcessClippedShapleyEvaluator.clip(shapley: phi, large: psi, kappa: 0)
        for (s, e) in zip(sums, expected) { #expect(abs(s - e) < 1e-12) }
        for (i, e) in expected.enumerated() { #expect(abs(evaluator.totals["client-\(i)"]! - e) < 1e-12) }
        // The filler's total is below its Shapley total: clipping bit.
        #expect(sums[0] < phi[0] - 0.1)
    }

    @Test func checkpointResumesTheTotalsAndRefusesBadStates() throws {
        let first = TestGames.input(Self.fillerGame(weights: [0.2, 0.3, 0.4], filler: 0.6), round: 1)
        // Round 2: player 1 is the filler. Totals' excesses 0.1, 0.1, −0.1, −0.1: cap 0, so player 1's total becomes its
        // large-coalition total 0.2 (round 1's Shapley 0.15 was reported): +0.05. Alone, round 2 would give it −0.05.
        let second = TestGames.input(Self.fillerGame(weights: [0.2, 0.3, 0.4], filler: 0.6, fillerPlayer: 1), round: 2)
        let running = ExcessClippedShapleyEvaluator()
        _ = try running.evaluate(first)
        let state = try running.checkpointState()
        let resumed = ExcessClippedShapleyEvaluator()
        try resumed.restore(checkpointState: state)
        let continued = try running.evaluate(second)
        #expect(try resumed.evaluate(second) == continued)
        #expect(abs(continued[1] - 0.05) < 1e-12)
        let fresh = try ExcessClippedShapleyEvaluator().evaluate(second)
        #expect(abs(fresh[1] + 0.05) < 1e-12)
        for bad in ["", "{", "[]", #"{"shapley":{"a":1},"large":{"a":1},"reported":{"b":1}}"#,
                    #"{"shapley":{"a":1},"large":{},"reported":{"a":1}}"#] {
            #expect(throws: AttributionError.self, "\(bad)") { try ExcessClippedShapleyEvaluator().restore(checkpointState: bad) }
        }
    }

    @Test func registryBuildsItWithOptionsAndRefusesBadOnes() throws {
        let e = try EvaluatorRegistry.make("excess-clipped-shapley", options: ["minFraction": 0.3, "kappa": 1.5])
        let clipped = try #require(e as? ExcessClippedShapleyEvaluator)
        #expect(clipped.minFraction == 0.3 && clipped.kappa == 1.5 && clipped.playerLimit == ExactShapleyEvaluator.playerLimit)
        #expect(throws: (any Error).self) { try EvaluatorRegistry.make("excess-clipped-shapley", options: ["kappa": -1]) }
        #expect(throws: (any Error).self) { try EvaluatorRegistry.make("excess-clipped-shapley", options: ["minFraction": 2]) }
        #expect(throws: (any Error).self) { try EvaluatorRegistry.make("excess-clipped-shapley", options: ["bogus": 1]) }
        #expect(throws: AttributionError.self) {
            try ExcessClippedShapleyEvaluator(maxPlayers: 3).evaluate(TestGames.input(TestGames.additive([1, 2, 3, 4])))
        }
    }
}
