import Foundation
import Synchronization
import Testing
@testable import Attribution

/// Rounds of more than 64 players: the coalition type, the evaluators that do not enumerate coalitions (exact answers
/// on an additive game), and the exhaustive ones refusing with their name and limit.
@Suite struct ManyPlayersTests {
    /// Distinct weights, positive (so no truncation), with the largest on players beyond the first word.
    static let weights: [Double] = (0..<100).map { (i: Int) -> Double in
        let spread = Double((i * 37) % 100) / 100
        return 0.01 + spread + (i >= 64 ? 1.0 : 0.0)
    }

    @Test func coalitionsSpanWordsAndHaveOneRepresentation() {
        var c = Coalition([3, 64, 70, 129])
        #expect(c.count == 4 && c.players == [3, 64, 70, 129] && c.mask == nil)
        #expect(c.contains(70) && !c.contains(71) && !c.contains(500) && c.description == "{3, 64, 70, 129}")
        c.remove(129)
        c.remove(70)
        c.remove(64)
        // Removing the last high player leaves the same value (and hash) as a coalition built small.
        #expect(c == Coalition(mask: 1 << 3) && c.hashValue == Coalition(mask: 1 << 3).hashValue && c.mask == 1 << 3)
        #expect(Coalition.full(130).count == 130 && Coalition.full(130).players == Array(0..<130))
        #expect(Coalition.full(64).mask == .max && Coalition.full(0).isEmpty && Coalition.full(65).removing(64) == Coalition.full(64))
        #expect(Coalition().inserting(99).removing(99) == Coalition())
        #expect(Set([Coalition([1, 99]), Coalition([99, 1]), Coalition([1])]).count == 2)
    }

    @Test func randomCoalitionsDrawOneWordPer64PlayersAsTheBitmaskSamplerDid() {
        var a = SplitMix64(seed: 9), b = SplitMix64(seed: 9)
        for _ in 0..<100 {
            #expect(Coalition.random(among: 20, using: &a) == Coalition(mask: b.next() & ((1 << 20) - 1)))
        }
        var rng = SplitMix64(seed: 4)
        var seen = [Int](repeating: 0, count: 100)
        for _ in 0..<400 {
            for p in Coalition.random(among: 100, using: &rng).players { seen[p] += 1 }
        }
        // Every one of the 100 players, none beyond, each in about half the draws.
        #expect(seen.allSatisfy { (140...260).contains($0) }, "\(seen)")
    }

    @Test func perPlayerAndSampledEvaluatorsGiveTheExactValuesOfA100PlayerAdditiveGame() throws {
        let game = TestGames.additive(Self.weights)
        let input = TestGames.input(game)
        // Additive game: marginal, leave-one-out and every permutation's marginal contribution are w_i exactly.
        #expect(try EvaluatorRegistry.make("marginal").evaluate(input) == Self.weights)
        let loo = try EvaluatorRegistry.make("loo").evaluate(input)
        #expect(zip(loo, Self.weights).allSatisfy { abs($0 - $1) < 1e-9 })
        let gtg = GTGShapleyEvaluator()
        let shapley = try gtg.evaluate(input)
        #expect(zip(shapley, Self.weights).allSatisfy { abs($0 - $1) < 1e-9 })
        let run = try #require(gtg.lastRun)
        #expect(run.permutations == 100)
        #expect(run.converged && run.truncatedPositions == 0)
    }

    @Test func sampledBanzhafOf100PlayersLiesWithinItsSamplingError() throws {
        // β_i = w_i in an additive game; the MSR estimate's error is that of a difference of two means of v over about
        // samples/2 coalitions each: sd(v) = √(Σ w_j²/4), so sd(β̂_i) ≈ 2·sd(v)/√samples. Allow 5 of those.
        let samples = 20_000
        let banzhaf = BanzhafEvaluator(exactLimit: 12, samples: samples, seed: 3)
        let values = try banzhaf.evaluate(TestGames.input(TestGames.additive(Self.weights)))
        #expect(banzhaf.lastUsedSampling)
        let sd = 2 * (Self.weights.map { $0 * $0 }.reduce(0, +) / 4).squareRoot() / Double(samples).squareRoot()
        let worst = zip(values, Self.weights).map { abs($0 - $1) }.max()!
        // A player misplaced across the 64-player word boundary would be off by about 1 (the weights beyond it carry +1).
        #expect(worst < 5 * sd && 5 * sd < 0.5, "worst error \(worst), sd \(sd)")
    }

    @Test func exhaustiveEvaluatorsRefuse100PlayersNamingThemselvesAndTheirLimit() throws {
        let input = TestGames.input(TestGames.additive(Self.weights))
        for name in ["shapley-exact", "mr-shapley", "large-coalition-shapley", "excess-clipped-shapley", "class-supported-shapley"] {
            let evaluator = try EvaluatorRegistry.make(name)
            #expect(evaluator.playerLimit == 16)
            #expect(throws: AttributionError.tooManyPlayers(evaluator: name, count: 100, limit: 16)) { try evaluator.evaluate(input) }
        }
        let message = AttributionError.tooManyPlayers(evaluator: "shapley-exact", count: 100, limit: 16).description
        #expect(message.contains("shapley-exact") && message.contains("100 players") && message.contains("limit of 16"))
        for name in ["marginal", "loo", "gtg-shapley", "banzhaf", "cosine"] {
            #expect(try EvaluatorRegistry.make(name).playerLimit == nil)
        }
    }

    @Test func cachedGamesOfManyPlayersCacheByCoalition() {
        let calls = Mutex(0)
        let game = CachedGame(playerCount: 100, parallel: false) { (coalition: Coalition) -> Double in
            calls.withLock { $0 += 1 }
            return Double(coalition.players.reduce(0, +))
        }
        #expect(game.value(of: Coalition([1, 99])) == 100)
        #expect(game.value(of: Coalition([99, 1])) == 100)
        #expect(game.value(of: Coalition([1, 98])) == 99)
        #expect(game.value(of: Coalition()) == 0)
        #expect(calls.withLock { $0 } == 2 && game.evaluations == 2 && game.cachedCount == 2)
    }

    @Test func cosineScores100Updates() throws {
        let updates: [[Float]] = (0..<100).map { i in i % 2 == 0 ? [1, 0] : [0, 1] }
        let input = TestGames.input(FunctionGame(playerCount: 100) { (_: Coalition) in 0 }, updates: updates, aggregate: [1, 0])
        let values = try EvaluatorRegistry.make("cosine").evaluate(input)
        #expect(values == (0..<100).map { $0 % 2 == 0 ? 1 : 0 })
    }
}
