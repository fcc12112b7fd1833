import Foundation
import Testing
@testable import Learning

@Suite struct CombinationEvaluatorTests {
    static func setup(_ spec: ModelSpec, clients: Int) -> (base: [Float], deltas: [[Float]], data: Dataset) {
        let data = SyntheticDataset.generate(count: 400, seed: 31)
        var model = Model(spec: spec, seed: 1)
        _ = Trainer.train(&model, on: data.subset(Array(0..<200)), epochs: 1, batchSize: 20, optimizer: SGD(learningRate: 0.05), seed: 2)
        let base = model.parameters
        let deltas = (0..<clients).map { c -> [Float] in
            var client = model
            _ = Trainer.train(&client, on: data.subset(Array((c * 40)..<(c * 40 + 40))), epochs: 1, batchSize: 10,
                              optimizer: SGD(learningRate: 0.1), seed: UInt64(10 + c))
            return zip(client.parameters, base).map { $0 - $1 }
        }
        return (base, deltas, data.subset(Array(200..<400)))
    }

    @Test(arguments: [ModelSpec.logreg, .mlp(hidden: [32, 16]), .cnn])
    func fastPathMatchesNaivePath(spec: ModelSpec) {
        let (base, deltas, data) = Self.setup(spec, clients: 4)
        let evaluator = CombinationEvaluator(spec: spec, base: base, deltas: deltas, data: data)
        var rng = SeededGenerator(seed: 77)
        let coefficientSets: [[Float]] = [[0, 0, 0, 0], [1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]]
            + (0..<4).map { _ in (0..<4).map { _ in rng.uniformFloat() * 2 - 0.5 } }
        for coefficients in coefficientSets {
            let fast = evaluator.evaluate(coefficients: coefficients)
            let naive = CombinationEvaluator.evaluateNaively(spec: spec, base: base, deltas: deltas, coefficients: coefficients, data: data)
            #expect(fast.count == 200)
            #expect(fast.accuracy == naive.accuracy, "\(spec) \(coefficients)")
            #expect(abs(fast.loss - naive.loss) <= 1e-4 * naive.loss, "\(spec) \(coefficients): \(fast.loss) vs \(naive.loss)")
        }
        // The empty coalition is the base model itself.
        var model = Model(spec: spec, seed: 0)
        model.parameters = base
        #expect(evaluator.evaluate(coefficients: [0, 0, 0, 0]).accuracy == model.evaluate(data).accuracy)
    }

    @Test func concurrentCallsAgreeWithSequentialOnes() async {
        let spec = ModelSpec.mlp(hidden: [32])
        let (base, deltas, data) = Self.setup(spec, clients: 3)
        let evaluator = CombinationEvaluator(spec: spec, base: base, deltas: deltas, data: data)
        let masks = Array(0..<8)
        func coefficients(_ mask: Int) -> [Float] { (0..<3).map { mask & (1 << $0) != 0 ? 1 / 3 : 0 } }
        let sequential = masks.map { evaluator.evaluate(coefficients: coefficients($0)) }
        let concurrent = await withTaskGroup(of: (Int, Evaluation).self) { group in
            for round in 0..<4 {
                for mask in masks {
                    let used = (mask + round) % 8
                    group.addTask { (used, evaluator.evaluate(coefficients: coefficients(used))) }
                }
            }
            var results: [(Int, Evaluation)] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(concurrent.count == 32)
        for (mask, evaluation) in concurrent { #expect(evaluation == sequential[mask]) }
        let distinct = Set(sequential.map(\.loss)).count
        #expect(distinct > 4)
    }
}
