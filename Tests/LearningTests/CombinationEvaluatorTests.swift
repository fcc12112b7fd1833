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

    /// A dense first layer's products come from one joined GEMM per chunk of rows: each set's output is its own first-layer
    /// forward up to float rounding, and the same bits with or without `parallel`.
    @Test func joinedFirstLayerProductsAreEachSetsOwnForward() {
        let spec = ModelSpec.mlp(hidden: [32])
        let (base, deltas, small) = Self.setup(spec, clients: 3)
        let data = SyntheticDataset.generate(count: 1200, seed: 32)   // 3 chunks of up to 500 rows, the last one short
        let parallel = CombinationEvaluator(spec: spec, base: base, deltas: deltas, data: data, parallel: true)
        let serial = CombinationEvaluator(spec: spec, base: base, deltas: deltas, data: data, parallel: false)
        #expect(parallel.baseOutput == serial.baseOutput && parallel.deltaOutputs == serial.deltaOutputs)
        let model = Model(spec: spec, seed: 0)
        let layer = model.layers[0]
        for (j, parameters) in ([base] + deltas).enumerated() {
            var own = [Float](repeating: 0, count: data.count * layer.outputSize)
            own.withUnsafeMutableBufferPointer { y in
                data.features.withUnsafeBufferPointer { x in
                    parameters.withUnsafeBufferPointer { p in layer.forward(x.baseAddress!, batch: data.count, parameters: p.baseAddress!, into: y.baseAddress!) }
                }
            }
            let joined = j == 0 ? parallel.baseOutput : parallel.deltaOutputs[j - 1]
            #expect(joined.count == own.count)
            let worst = zip(joined, own).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
            #expect(worst <= 1e-5, "set \(j): \(worst)")
        }
        #expect(CombinationEvaluator(spec: spec, base: base, deltas: deltas, data: small).baseOutput.count == 200 * 32)
    }

    /// The accuracy-only path that re-evaluates a sweep's near ties gives `evaluate`'s accuracy exactly.
    @Test(arguments: [ModelSpec.logreg, .mlp(hidden: [32]), .mlp(hidden: [32, 16]), .cnn])
    func accuracyOnlyMatchesEvaluate(spec: ModelSpec) {
        let (base, deltas, data) = Self.setup(spec, clients: 4)
        let evaluator = CombinationEvaluator(spec: spec, base: base, deltas: deltas, data: data)
        var rng = SeededGenerator(seed: 78)
        let sets: [[Float]] = [[0, 0, 0, 0], [0.5, 0, 0.5, 0]] + (0..<6).map { _ in (0..<4).map { _ in rng.uniformFloat() * 2 - 0.5 } }
        var seen = Set<Double>()
        for coefficients in sets {
            let accuracy = evaluator.accuracy(coefficients: coefficients)
            #expect(accuracy == evaluator.evaluate(coefficients: coefficients).accuracy, "\(spec) \(coefficients)")
            seen.insert(accuracy)
        }
        #expect(seen.count > 1)
    }
}
