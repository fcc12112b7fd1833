import Aggregation
import Attribution
import Foundation
import Learning
import Logging
import Testing
@testable import Federation

/// The coordinator's scoring step on one hand-made round, against values computed independently per coalition.
@Suite struct RoundAttributionTests {
    static let spec = ModelSpec.mlp(hidden: [16])
    static let counts = [40, 13, 70, 25, 55]

    /// A base model, five clients' updates (local SGD on disjoint slices) and a validation set.
    static let round: (base: [Float], updates: [[Float]], validation: Dataset) = {
        let data = SyntheticDataset.generate(count: 700, seed: 5)
        var model = Model(spec: spec, seed: 1)
        _ = Trainer.train(&model, on: data.subset(Array(0..<100)), epochs: 1, batchSize: 20, optimizer: SGD(learningRate: 0.05), seed: 2)
        var first = 100
        let updates = counts.enumerated().map { c, n -> [Float] in
            var client = model
            _ = Trainer.train(&client, on: data.subset(Array(first..<(first + n))), epochs: 1, batchSize: 10,
                              optimizer: SGD(learningRate: 0.1), seed: UInt64(30 + c))
            first += n
            return zip(client.parameters, model.parameters).map { $0 - $1 }
        }
        return (model.parameters, updates, data.subset(Array(400..<700)))
    }()

    static var input: AggregationInput {
        AggregationInput(round: 1, base: round.base, clients: (0..<5).map { "client-\($0)" }, sampleCounts: counts, updates: round.updates)
    }

    func score(evaluators: String, utility: String, rule: any AggregationRule = FedAvg()) throws -> RoundScores {
        let out = ProcessHarness.temporaryDirectory("round-attribution") + "/run"
        let flags = ["clients": "5", "rounds": "1", "dataset": "synthetic", "model": "mlp:16", "out": out,
                     "listen": "inproc://round-attribution", "evaluators": evaluators, "utility": utility]
        let config = try CoordinatorConfig(settings: Settings(flags: flags, environment: [:]))
        let attribution = try RoundAttribution(config: config, validation: Self.round.validation, rule: rule)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        var input = Self.input
        rule.prepare(&input)
        return attribution.score(round: 1, input: input, aggregate: rule.aggregate(input).aggregate, logger: logger)
    }

    /// U(w + A(S)) for every mask, one `evaluate(coefficients:)` call each (the pre-sweep path).
    static func perCallUtilities(accuracy: Bool) -> [Double] {
        let (base, updates, validation) = round
        let combination = CombinationEvaluator(spec: spec, base: base, deltas: updates, data: validation)
        return (0..<32).map { mask in
            let e = combination.evaluate(coefficients: FedAvg().weightedMean(input)!.coefficients(members: UInt64(mask)))
            return accuracy ? e.accuracy : -e.loss
        }
    }

    @Test(arguments: ["accuracy", "neg-loss"])
    func exactShapleyFromTheSweepMatchesPerCoalitionEvaluationAndIsEfficient(utility: String) throws {
        let scores = try score(evaluators: "shapley-exact,banzhaf,loo", utility: utility)
        #expect(scores.coalitionsEvaluated == 0, "the game is a precomputed table")
        let u = Self.perCallUtilities(accuracy: utility == "accuracy")
        let reference = CachedGame(playerCount: 5) { mask in u[Int(mask)] - u[0] }
        let input = RoundInput(round: 1, clients: scores.clients, sampleCounts: Self.counts, updates: [], aggregate: [], game: reference)
        let phi = try ExactShapleyEvaluator().evaluate(input)
        let got = try #require(scores.values["shapley-exact"])
        let tolerance = utility == "accuracy" ? 0 : 1e-5
        #expect(zip(got, phi).allSatisfy { abs($0 - $1) <= tolerance }, "\(got) vs \(phi)")
        #expect(abs(scores.utilityBefore - u[0]) <= tolerance && abs(scores.utilityAfter - u[31]) <= tolerance)
        // Efficiency, exactly as the run tests check it.
        #expect(abs(got.reduce(0, +) - (scores.utilityAfter - scores.utilityBefore)) < 1e-9)
        #expect(Set(got).count > 1)
        #expect(scores.failures.isEmpty && scores.values.count == 3)
    }

    @Test func cosineOnlyRoundsEvaluateNoCoalitionAndUsePlainForwardPasses() throws {
        let scores = try score(evaluators: "cosine", utility: "neg-loss")
        #expect(scores.coalitionsEvaluated == 0)
        let (base, updates, validation) = Self.round
        var model = Model(spec: Self.spec, seed: 0)
        model.parameters = base
        #expect(scores.utilityBefore == -model.evaluate(validation).loss)
        let aggregate = FedAvg().aggregate(Self.input).aggregate
        #expect(updates.count == 5)
        model.parameters = zip(base, aggregate).map { $0 + $1 }
        #expect(scores.utilityAfter == -model.evaluate(validation).loss)
        #expect(scores.values["cosine"]?.count == 5)
    }

    @Test func nonExhaustiveEvaluatorsStillEvaluateOnlyWhatTheyAsk() throws {
        let scores = try score(evaluators: "loo", utility: "accuracy")
        // Leave-one-out reads the grand coalition and the five coalitions of four.
        #expect(scores.coalitionsEvaluated == 6)
        let u = Self.perCallUtilities(accuracy: true)
        #expect(scores.utilityBefore == u[0] && scores.utilityAfter == u[31])
    }

    /// U(base + rule(S)) for every mask, aggregating and evaluating each coalition independently.
    static func directUtilities(_ rule: any AggregationRule) -> [Double] {
        (0..<32).map { mask in
            var model = Model(spec: spec, seed: 0)
            let agg = rule.aggregate(input.subset(UInt64(mask))).aggregate
            model.parameters = zip(round.base, agg).map { $0 + $1 }
            return model.evaluate(round.validation).accuracy
        }
    }

    @Test(arguments: ["median", "krum(f=1)", "clip(factor=1)+trimmed-mean(beta=0.2)"])
    func nonLinearRulesAreEvaluatedPerCoalitionAndStayEfficient(rule text: String) throws {
        let rule = try AggregationRegistry.make(text)
        let scores = try score(evaluators: "shapley-exact", utility: "accuracy", rule: rule)
        #expect(scores.coalitionsEvaluated == 31, "every non-empty coalition evaluated once")
        var prepared = Self.input
        rule.prepare(&prepared)
        let u = (0..<32).map { mask -> Double in
            var model = Model(spec: Self.spec, seed: 0)
            model.parameters = zip(Self.round.base, rule.aggregate(prepared.subset(UInt64(mask))).aggregate).map { $0 + $1 }
            return model.evaluate(Self.round.validation).accuracy
        }
        let reference = CachedGame(playerCount: 5) { mask in u[Int(mask)] - u[0] }
        let phi = try ExactShapleyEvaluator().evaluate(RoundInput(round: 1, clients: scores.clients, sampleCounts: Self.counts,
                                                                  updates: [], aggregate: [], game: reference))
        #expect(scores.values["shapley-exact"]! == phi)
        #expect(abs(phi.reduce(0, +) - (scores.utilityAfter - scores.utilityBefore)) < 1e-9)
        if text.hasPrefix("krum") {
            // Krum(f=1) needs 5 updates: every smaller coalition is the median's, as a round with that few updates would be.
            #expect(rule.aggregate(Self.input.subset(0b01011)).aggregate == CoordinateMedian().aggregate(Self.input.subset(0b01011)).aggregate)
        }
    }

    /// Class-supported Shapley from the coordinator's per-class sweeps, against per-class games built here one
    /// `evaluate(coefficients:)` call per coalition and supports read from the updates' last ten entries.
    @Test(arguments: [1, 0])
    func classSupportedShapleyReadsPerClassGamesAndTheUpdatesOutputBias(blame: Int) throws {
        let scores = try score(evaluators: "shapley-exact,class-supported-shapley(blame=\(blame))", utility: "accuracy")
        #expect(scores.failures.isEmpty, "\(scores.failures)")
        let (base, updates, validation) = Self.round
        let weights = FedAvg().weightedMean(Self.input)!
        var perClass: [[Double]] = []
        for c in 0..<validation.classCount {
            let rows = validation.labels.indices.filter { validation.labels[$0] == Int32(c) }
            guard !rows.isEmpty else { perClass.append([0, 0, 0, 0, 0]); continue }
            let combination = CombinationEvaluator(spec: Self.spec, base: base, deltas: updates, data: validation.subset(rows))
            let share = Double(rows.count) / Double(validation.count)
            let u = (0..<32).map { combination.evaluate(coefficients: weights.coefficients(members: UInt64($0))).accuracy }
            let game = CachedGame(playerCount: 5) { mask in share * (u[Int(mask)] - u[0]) }
            perClass.append(try ExactShapleyEvaluator().evaluate(RoundInput(round: 1, clients: scores.clients, sampleCounts: Self.counts,
                                                                            updates: [], aggregate: [], game: game)))
        }
        // The class games add up to the round game: per-class Shapley values sum to exact Shapley's.
        let phi = try #require(scores.values["shapley-exact"])
        for i in 0..<5 { #expect(abs(perClass.reduce(0) { $0 + $1[i] } - phi[i]) < 1e-12) }
        let supported = updates.map { $0.suffix(10).map { $0 > 0 } }
        #expect(supported.contains { $0.contains(true) } && supported.contains { $0.contains(false) })
        let expected = ClassSupportedShapleyEvaluator.score(shapley: perClass, supported: supported, blame: blame == 1)
        let got = try #require(scores.values["class-supported-shapley"])
        #expect(zip(got, expected).allSatisfy { abs($0 - $1) < 1e-12 }, "\(got) vs \(expected)")
        #expect(got != phi, "some class is unsupported somewhere, so the score differs from exact Shapley")
    }

    @Test func classSupportedShapleyIsRefusedWithTheReasonUnderARuleWithoutAWeightedMean() throws {
        let scores = try score(evaluators: "shapley-exact,class-supported-shapley", utility: "accuracy", rule: CoordinateMedian())
        #expect(scores.values["shapley-exact"]?.count == 5)
        #expect(scores.values["class-supported-shapley"] == nil)
        #expect(scores.failures["class-supported-shapley"]?.contains("weighted-mean form") == true, "\(scores.failures)")
    }
}
