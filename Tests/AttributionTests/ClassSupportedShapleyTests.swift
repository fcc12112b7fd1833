import Testing
@testable import Attribution

/// Class-supported Shapley on per-class games with known answers: a client is paid only for classes its summed
/// output-bias changes support, blamed (or not, `blame=0`) for the others; support carries over rounds and checkpoints.
struct ClassSupportedShapleyTests {
    /// Two classes, three players, additive in each class: Shapley values are the weights.
    static let classWeights: [[Double]] = [[0.3, 0.2, 0.0], [0.4, -0.1, 0.5]]

    static func input(bias: [[Float]]?, classGames: [any CoalitionGame]? = classWeights.map { TestGames.additive($0) },
                      round: Int = 1) -> RoundInput {
        let total = FunctionGame(playerCount: 3) { (s: Coalition) in (classGames ?? []).reduce(0) { $0 + $1.value(of: s) } }
        var input = TestGames.input(total, round: round)
        input.classGames = classGames
        input.outputBiasUpdates = bias
        return input
    }

    @Test func everyClassSupportedIsExactShapley() throws {
        let all: [[Float]] = [[1, 1], [0.5, 2], [3, 0.1]]
        for blame in [true, false] {
            let values = try ClassSupportedShapleyEvaluator(blame: blame).evaluate(Self.input(bias: all))
            let shapley = try ExactShapleyEvaluator().evaluate(Self.input(bias: all))
            for (v, s) in zip(values, shapley) { #expect(abs(v - s) < 1e-12) }
            for (v, expected) in zip(values, [0.7, 0.1, 0.5]) { #expect(abs(v - expected) < 1e-12) }
        }
    }

    @Test func unsupportedClassesPayNothingAndBlameOnlyWhenAsked() throws {
        // client-0 supports class 0 only, client-1 class 0 only (its class-1 value is −0.1), client-2 class 1 only.
        let bias: [[Float]] = [[0.2, -0.2], [0.1, -0.1], [-0.3, 0.3]]
        let blamed = try ClassSupportedShapleyEvaluator(blame: true).evaluate(Self.input(bias: bias))
        for (v, expected) in zip(blamed, [0.3, 0.1, 0.5]) { #expect(abs(v - expected) < 1e-12, "\(blamed)") }
        let unblamed = try ClassSupportedShapleyEvaluator(blame: false).evaluate(Self.input(bias: bias))
        for (v, expected) in zip(unblamed, [0.3, 0.2, 0.5]) { #expect(abs(v - expected) < 1e-12, "\(unblamed)") }
        // A bias change of exactly zero supports nothing.
        let none = try ClassSupportedShapleyEvaluator(blame: true).evaluate(Self.input(bias: [[0, 0], [0, 0], [0, 0]]))
        for (v, expected) in zip(none, [0.0, -0.1, 0.0]) { #expect(abs(v - expected) < 1e-12, "\(none)") }
    }

    @Test func aBlameWindowCountsOnlyLargeCoalitions() throws {
        // Class 1: player 1 hurts only alone (−0.6); players 0 and 2 add 0.4 and 0.5. Shapley: φ₁ = −0.6/3 = −0.2,
        // φ₀ = 0.4 + 0.6/6 = 0.5, φ₂ = 0.6. With the window ⌈0.5·2⌉ = 1 other or more, player 1's blame is 0.
        let spoiler = FunctionGame(playerCount: 3) { (mask: UInt64) in
            mask == 0b010 ? -0.6 : (mask & 1 != 0 ? 0.4 : 0) + (mask & 4 != 0 ? 0.5 : 0)
        }
        let games: [any CoalitionGame] = [TestGames.additive([0.3, 0.2, 0.0]), spoiler]
        let bias: [[Float]] = [[1, 1], [1, -1], [1, 1]]
        let shapleyBlame = try ClassSupportedShapleyEvaluator().evaluate(Self.input(bias: bias, classGames: games))
        for (v, expected) in zip(shapleyBlame, [0.8, 0.0, 0.6]) { #expect(abs(v - expected) < 1e-12, "\(shapleyBlame)") }
        let windowed = try EvaluatorRegistry.make("class-supported-shapley", options: ["blameFraction": 0.5])
            .evaluate(Self.input(bias: bias, classGames: games))
        for (v, expected) in zip(windowed, [0.8, 0.2, 0.6]) { #expect(abs(v - expected) < 1e-12, "\(windowed)") }
        #expect(throws: AttributionError.self) { try EvaluatorRegistry.make("class-supported-shapley", options: ["blameFraction": 1.5]) }
    }

    @Test func scoreSumsSupportedValuesAndNegativeRest() {
        let shapley = [[1.0, -2.0], [-0.5, 4.0]]   // class 0: players 1, −2; class 1: −0.5, 4
        let supported = [[false, true], [true, false]]
        #expect(ClassSupportedShapleyEvaluator.score(shapley: shapley, supported: supported, blame: true) == [-0.5, -2.0])
        #expect(ClassSupportedShapleyEvaluator.score(shapley: shapley, supported: supported, blame: false) == [-0.5, -2.0])
        #expect(ClassSupportedShapleyEvaluator.score(shapley: shapley, supported: [[true, false], [false, true]], blame: true) == [0.5, 2.0])
        #expect(ClassSupportedShapleyEvaluator.score(shapley: shapley, supported: [[true, false], [false, true]], blame: false) == [1.0, 4.0])
        #expect(ClassSupportedShapleyEvaluator.score(shapley: shapley, supported: [[false, false], [false, false]], blame: false) == [0, 0])
    }

    @Test func supportIsTheSumOverRoundsAndSurvivesACheckpoint() throws {
        let first: [[Float]] = [[1, -1], [1, 1], [1, 1]]
        // Round 2 turns client-0's sum to (−1, −0.5): it supports nothing any more and keeps only its blame (none here).
        let second: [[Float]] = [[-2, 0.5], [1, 1], [1, 1]]
        let running = ClassSupportedShapleyEvaluator()
        let one = try running.evaluate(Self.input(bias: first))
        #expect(abs(one[0] - 0.3) < 1e-12)
        let state = try running.checkpointState()
        let two = try running.evaluate(Self.input(bias: second, round: 2))
        #expect(abs(two[0]) < 1e-12 && abs(two[1] - 0.1) < 1e-12 && abs(two[2] - 0.5) < 1e-12, "\(two)")
        #expect(running.support["client-0"] == [false, false])

        let resumed = ClassSupportedShapleyEvaluator()
        try resumed.restore(checkpointState: state)
        #expect(try resumed.evaluate(Self.input(bias: second, round: 2)) == two)
        // Alone, round 2's bias would support class 1 for client-0: the history is what removes it.
        let fresh = try ClassSupportedShapleyEvaluator().evaluate(Self.input(bias: second, round: 2))
        #expect(abs(fresh[0] - 0.4) < 1e-12)

        for bad in ["[]", "{\"client-0\": [1, \"x\"]}", "{\"client-0\": [1, 2], \"client-1\": [1]}", "not json"] {
            #expect(throws: AttributionError.self) { try ClassSupportedShapleyEvaluator().restore(checkpointState: bad) }
        }
    }

    @Test func missingOrMismatchedInputsAreRefusedWithTheReason() throws {
        let evaluator = ClassSupportedShapleyEvaluator()
        let bias: [[Float]] = [[1, -1], [1, 1], [1, 1]]
        #expect { try evaluator.evaluate(Self.input(bias: bias, classGames: nil)) } throws: { error in
            "\(error)".contains("needs the round game per validation class")
        }
        #expect { try evaluator.evaluate(Self.input(bias: nil)) } throws: { error in
            "\(error)".contains("output-layer bias")
        }
        #expect { try evaluator.evaluate(Self.input(bias: [[1, -1], [1, 1]])) } throws: { error in
            error as? AttributionError == .inputMismatch(evaluator: "class-supported-shapley", field: "bias updates", expected: 3, found: 2)
        }
        #expect { try evaluator.evaluate(Self.input(bias: [[1, -1], [1, 1, 1], [1, 1]])) } throws: { error in
            "\(error)".contains("client-1's bias update has 3 values (2 classes expected)")
        }
        #expect { try evaluator.evaluate(Self.input(bias: [[1, .nan], [1, 1], [1, 1]])) } throws: { error in
            "\(error)".contains("non-finite")
        }
        let twoPlayers: [any CoalitionGame] = [TestGames.additive([1, 2]), TestGames.additive([1, 2])]
        #expect(throws: AttributionError.self) { try evaluator.evaluate(Self.input(bias: bias, classGames: twoPlayers)) }
        // Nothing refused changed the history: client-0's first real round still starts from zero.
        let values = try evaluator.evaluate(Self.input(bias: [[1, -1], [1, 1], [1, 1]]))
        #expect(abs(values[0] - 0.3) < 1e-12)
        #expect(throws: AttributionError.self) { try EvaluatorRegistry.make("class-supported-shapley", options: ["blame": 2]) }
        #expect((try EvaluatorRegistry.make("class-supported-shapley", options: ["blame": 0]) as? ClassSupportedShapleyEvaluator)?.blame == false)
    }
}
