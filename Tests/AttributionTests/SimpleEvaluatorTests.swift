import Foundation
import Testing
@testable import Attribution

/// v(∅)=0, v(0)=1, v(1)=2, v(2)=0, v(01)=4, v(02)=1.5, v(12)=2.5, v(012)=5.
private let handGame = TestGames.table([0, 1, 2, 4, 0, 1.5, 2.5, 5], playerCount: 3)

@Test func marginalIsTheSingletonValue() throws {
    #expect(try EvaluatorRegistry.make("marginal").evaluate(TestGames.input(handGame)) == [1, 2, 0])
}

@Test func leaveOneOutByHand() throws {
    // v(N) − v(N∖i): 5 − 2.5, 5 − 1.5, 5 − 4.
    #expect(try EvaluatorRegistry.make("loo").evaluate(TestGames.input(handGame)) == [2.5, 3.5, 1])
}

@Test func cosineOnHandVectors() throws {
    let aggregate: [Float] = [1, 1]
    let updates: [[Float]] = [[1, 0], [0, 0], [-2, -2], [3, 4]]
    let game = FunctionGame(playerCount: 4) { _ in 0 }
    let values = try EvaluatorRegistry.make("cosine").evaluate(TestGames.input(game, updates: updates, aggregate: aggregate))
    let expected = [1 / 2.0.squareRoot(), 0, -1, 7 / (5 * 2.0.squareRoot())]
    #expect(zip(values, expected).allSatisfy { abs($0 - $1) < 1e-12 })
    let zeroAggregate = try EvaluatorRegistry.make("cosine").evaluate(TestGames.input(game, updates: updates, aggregate: [0, 0]))
    #expect(zeroAggregate == [0, 0, 0, 0])
}

@Test func cosineRejectsMissingOrMisshapedUpdates() throws {
    let game = FunctionGame(playerCount: 2) { _ in 0 }
    // No updates at all: inputMismatch on "updates".
    #expect(throws: AttributionError.inputMismatch(evaluator: "cosine", field: "updates", expected: 2, found: 0)) {
        try EvaluatorRegistry.make("cosine").evaluate(TestGames.input(game, aggregate: [1]))
    }
    // An update of the wrong length: inputMismatch on "update parameters".
    #expect(throws: AttributionError.inputMismatch(evaluator: "cosine", field: "update parameters", expected: 2, found: 3)) {
        try EvaluatorRegistry.make("cosine").evaluate(TestGames.input(game, updates: [[1, 2], [1, 2, 3]], aggregate: [1, 1]))
    }
}

@Test func roundInputMismatchIsRejected() throws {
    var input = TestGames.input(handGame)
    input.clients.removeLast()
    #expect(throws: AttributionError.inputMismatch(evaluator: "loo", field: "clients", expected: 3, found: 2)) {
        try EvaluatorRegistry.make("loo").evaluate(input)
    }
}

@Test func registryBuildsEveryNameAndRejectsUnknowns() throws {
    for name in EvaluatorRegistry.names {
        #expect(try EvaluatorRegistry.make(name).name == name)
    }
    // Unknown evaluator name: unknownEvaluator listing the known ones.
    #expect(throws: AttributionError.unknownEvaluator(name: "shapley", known: EvaluatorRegistry.names)) {
        try EvaluatorRegistry.make("shapley")
    }
    // Misspelt option: unknownOption.
    #expect(throws: AttributionError.unknownOption(evaluator: "banzhaf", option: "sample", known: ["exactLimit", "samples", "seed"])) {
        try EvaluatorRegistry.make("banzhaf", options: ["sample": 10])
    }
    // Non-integer count and negative epsilon: invalidOption.
    #expect(throws: AttributionError.self) { try EvaluatorRegistry.make("gtg-shapley", options: ["maxPermutations": 2.5]) }
    #expect(throws: AttributionError.self) { try EvaluatorRegistry.make("gtg-shapley", options: ["epsilonWithin": -1]) }
    #expect(throws: AttributionError.self) { try EvaluatorRegistry.make("mr-shapley", options: ["decay": 1.5]) }
    #expect(throws: AttributionError.self) { try EvaluatorRegistry.make("banzhaf", options: ["seed": -1]) }
}

@Test func evaluatorsShareOneCachedGame() throws {
    // All evaluators of a round on one CachedGame: exact Shapley fills the cache, the others add nothing.
    let (function, _) = TestGames.utilityLike(playerCount: 8, seed: 2)
    let game = CachedGame(playerCount: 8) { function.value(of: $0) }
    let input = TestGames.input(game)
    for name in ["shapley-exact", "marginal", "loo", "banzhaf", "mr-shapley", "gtg-shapley"] {
        _ = try EvaluatorRegistry.make(name).evaluate(input)
    }
    #expect(game.evaluations == 255)
}
