import Aggregation
import Attribution
import Foundation
import Learning
import Logging
import Testing
@testable import Federation

/// Federations of more than 64 clients: settings accept them with evaluators that do not enumerate coalitions and
/// refuse exhaustive ones by name and limit; the coordinator scores a round of 100 updates; a 100-client run completes.
@Suite(.serialized) struct HundredClientsTests {
    static let sampling = "marginal,loo,gtg-shapley(maxPermutations=2),banzhaf(samples=64),cosine"

    func config(_ flags: [String: String]) throws -> CoordinatorConfig {
        try CoordinatorConfig(settings: Settings(flags: flags, environment: [:]))
    }

    @Test func settingsAccept100ClientsWithSamplingEvaluatorsAndRefuseExhaustiveOnesByNameAndLimit() throws {
        let ok = try config(["clients": "100", "evaluators": Self.sampling])
        #expect(ok.spec.clients == 100 && ok.evaluators == ["marginal", "loo", "gtg-shapley", "banzhaf", "cosine"] && ok.evaluatorsLeftOut.isEmpty)
        for (evaluators, named) in [("loo,shapley-exact", "shapley-exact"), ("mr-shapley", "mr-shapley"),
                                    ("large-coalition-shapley(minFraction=0.5)", "large-coalition-shapley"),
                                    ("shapley-exact(maxPlayers=8)", "shapley-exact")] {
            let clients = named == "shapley-exact" && evaluators.contains("8") ? "9" : "100"
            let limit = clients == "9" ? 8 : 16
            do {
                _ = try config(["clients": clients, "evaluators": evaluators])
                Issue.record("\(evaluators) accepted for \(clients) clients")
            } catch let FederationError.invalidSetting(key, _, source, expected) {
                #expect(key == "evaluators" && source == "flag")
                #expect(expected.contains("\(named) enumerates all 2^N coalitions and is limited to \(limit) clients"), "\(expected)")
                #expect(expected.contains("\(clients) clients") && expected.contains("gtg-shapley"))
            }
        }
        // At the limit the exhaustive evaluators are still accepted.
        #expect(try config(["clients": "16", "evaluators": "shapley-exact,mr-shapley"]).evaluators == ["shapley-exact", "mr-shapley"])
        // The default list drops what cannot score 100 clients and keeps the rest (the coordinator logs what it left out).
        let defaults = try config(["clients": "100"])
        #expect(defaults.evaluatorsLeftOut == ["shapley-exact", "mr-shapley"])
        #expect(defaults.evaluators == ["marginal", "loo", "gtg-shapley", "banzhaf", "cosine"])
        #expect(try config(["clients": "10"]).evaluatorsLeftOut.isEmpty)
    }

    /// 100 updates made from 5 trained ones (scaled copies), so scoring needs no 100 local trainings.
    static let round: (base: [Float], updates: [[Float]], validation: Dataset) = {
        let data = SyntheticDataset.generate(count: 600, seed: 8)
        var model = Model(spec: .logreg, seed: 1)
        _ = Trainer.train(&model, on: data.subset(Array(0..<100)), epochs: 1, batchSize: 20, optimizer: SGD(learningRate: 0.05), seed: 2)
        let seeds = (0..<5).map { c -> [Float] in
            var client = model
            _ = Trainer.train(&client, on: data.subset(Array((100 + 40 * c)..<(140 + 40 * c))), epochs: 1, batchSize: 10,
                              optimizer: SGD(learningRate: 0.2), seed: UInt64(30 + c))
            return zip(client.parameters, model.parameters).map { $0 - $1 }
        }
        let updates = (0..<100).map { (i: Int) -> [Float] in
            let scale = Float(1 + i / 5) / 4
            return seeds[i % 5].map { $0 * scale }
        }
        return (model.parameters, updates, data.subset(Array(300..<600)))
    }()

    @Test func theCoordinatorScoresA100UpdateRoundAndLeaveOneOutMatchesDirectEvaluation() throws {
        let out = ProcessHarness.temporaryDirectory("hundred-scores") + "/run"
        let flags = ["clients": "100", "rounds": "1", "dataset": "synthetic", "model": "logreg", "out": out,
                     "listen": "inproc://hundred-scores", "evaluators": Self.sampling, "utility": "neg-loss"]
        let attribution = try RoundAttribution(config: config(flags), validation: Self.round.validation, rule: FedAvg())
        let counts = (0..<100).map { 10 + $0 % 13 }
        let input = AggregationInput(round: 1, base: Self.round.base, clients: (0..<100).map { "client-\($0)" }, sampleCounts: counts,
                                     updates: Self.round.updates)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let aggregate = FedAvg().aggregate(input).aggregate
        let scores = attribution.score(round: 1, input: input, aggregate: aggregate, logger: logger)
        #expect(scores.failures.isEmpty, "\(scores.failures)")
        for name in ["marginal", "loo", "gtg-shapley", "banzhaf", "cosine"] {
            let values = try #require(scores.values[name], "\(name)")
            #expect(values.count == 100 && values.allSatisfy(\.isFinite), "\(name)")
        }
        // Independently: one aggregation and forward pass per coalition, for clients on both sides of 64.
        func utility(_ members: (Int) -> Bool) -> Double {
            var model = Model(spec: .logreg, seed: 0)
            model.parameters = zip(Self.round.base, FedAvg().aggregate(input.subset(where: members)).aggregate).map { $0 + $1 }
            return -model.evaluate(Self.round.validation).loss
        }
        let all = utility { _ in true }, none = utility { _ in false }
        #expect(abs(scores.utilityAfter - all) < 1e-4 && abs(scores.utilityBefore - none) < 1e-4)
        for i in [0, 63, 64, 99] {
            let loo = all - utility { $0 != i }
            let marginal = utility { $0 == i } - none
            #expect(abs(scores.values["loo"]![i] - loo) < 1e-4 * max(1, abs(loo)), "loo client-\(i)")
            #expect(abs(scores.values["marginal"]![i] - marginal) < 1e-4 * max(1, abs(marginal)), "marginal client-\(i)")
        }
        // Two permutations of 100 prefixes, 64 Banzhaf samples, 100 singletons and 100 leave-one-outs: no 2^N anywhere.
        #expect(scores.coalitionsEvaluated > 200 && scores.coalitionsEvaluated <= 2 * 100 + 64 + 100 + 100 + 1)
    }

    @Test(.timeLimit(.minutes(4))) func aFederationOf100ClientsRunsEveryRoundWithEveryClient() throws {
        let out = ProcessHarness.temporaryDirectory("hundred-run") + "/run"
        let flags = ["clients": "100", "rounds": "2", "dataset": "synthetic", "synthetic-count": "3000", "validation-size": "200",
                     "test-size": "200", "model": "logreg", "out": out, "listen": "inproc://hundred-run", "round-deadline": "120",
                     "evaluators": Self.sampling, "registration-timeout": "120"]
        let summary = try ProcessHarness.runInProcess(flags, label: "hundred").summary
        #expect(summary.rounds == 2 && summary.participantsPerRound == [100, 100])
        let attribution = ProcessHarness.jsonLines(out + "/attribution.jsonl")
        #expect(attribution.count == 2 * 100 * 5, "one record per round, client and evaluator")
        #expect(ProcessHarness.jsonLines(out + "/detections.jsonl").count == 2 * 100 * 6)
        let report = try AuditVerifier.verify(directory: out, caFile: nil)
        #expect(report.rounds == [1, 2] && report.entries == 200)
    }
}
