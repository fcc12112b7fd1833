import Testing
@testable import Learning

@Suite struct CombinationSweepTests {
    /// Sample counts of the clients (the FedAvg weights), deliberately uneven.
    static let counts: [Float] = [40, 13, 97, 5, 60, 22, 31, 77, 18, 50]

    /// c_i = w_i / W_S for the members of `mask`, computed the way FedAvg's linear coefficients are.
    static func coefficients(_ mask: Int, _ weights: [Float]) -> [Float] {
        let total = weights.indices.filter { mask & (1 << $0) != 0 }.reduce(0.0) { $0 + Double(weights[$1]) }
        return weights.indices.map { mask & (1 << $0) != 0 && total > 0 ? Float(Double(weights[$0]) / total) : 0 }
    }

    /// Every subset's sweep value against a separate `evaluate(coefficients:)` call: accuracy exactly, loss within 1e-5 relative.
    static func expectSweepMatchesPerCall(_ evaluator: CombinationEvaluator, weights: [Float], parallel: Bool,
                                          _ label: String) {
        let accuracy = evaluator.sweepWeightedMeans(weights: weights, metric: .accuracy, parallel: parallel)
        let loss = evaluator.sweepWeightedMeans(weights: weights, metric: .loss, parallel: parallel)
        #expect(accuracy.count == 1 << weights.count && loss.count == 1 << weights.count)
        var accuracyMismatches = 0, worstLoss = 0.0
        for mask in 0..<(1 << weights.count) {
            let direct = evaluator.evaluate(coefficients: coefficients(mask, weights))
            if accuracy[mask] != direct.accuracy { accuracyMismatches += 1 }
            worstLoss = max(worstLoss, abs(loss[mask] - direct.loss) / direct.loss)
        }
        #expect(accuracyMismatches == 0, "\(label): \(accuracyMismatches) accuracies differ")
        #expect(worstLoss <= 1e-5, "\(label): worst relative loss difference \(worstLoss)")
        // Not a constant table: the subsets really differ.
        #expect(Set(loss).count > (1 << weights.count) / 2, "\(label)")
    }

    @Test(arguments: [ModelSpec.logreg, .mlp(hidden: [32, 16]), .cnn])
    func sweepMatchesPerCallEvaluationForOneToEightClients(spec: ModelSpec) {
        var (base, deltas, data) = CombinationEvaluatorTests.setup(spec, clients: 8)
        if spec == .cnn { data = data.subset(Array(0..<50)) }   // the cnn is slow in debug builds
        for n in 1...8 {
            let evaluator = CombinationEvaluator(spec: spec, base: base, deltas: Array(deltas.prefix(n)), data: data)
            Self.expectSweepMatchesPerCall(evaluator, weights: Array(Self.counts.prefix(n)), parallel: n % 2 == 0, "\(spec) N=\(n)")
        }
    }

    @Test func sweepMatchesOnFashionMNISTWithTenClientsAcrossRefreshesAndChunks() throws {
        // Real images, 1,024 subsets: a serial sweep crosses three from-scratch refreshes of the running sum.
        let spec = ModelSpec.mlp(hidden: [64])
        let images = try FashionMNIST.load(.train, limit: 1_100)
        let pool = images.subset(Array(0..<600)), data = images.subset(Array(600..<1_100))
        let base = Model(spec: spec, seed: 3)
        let deltas = (0..<10).map { c -> [Float] in
            var client = base
            _ = Trainer.train(&client, on: pool.subset(Array((c * 60)..<(c * 60 + 60))), epochs: 1, batchSize: 15,
                              optimizer: SGD(learningRate: 0.1), seed: UInt64(20 + c))
            return zip(client.parameters, base.parameters).map { $0 - $1 }
        }
        let evaluator = CombinationEvaluator(spec: spec, base: base.parameters, deltas: deltas, data: data)
        #expect(1 << 10 > 3 * CombinationEvaluator.sweepRefreshInterval)
        Self.expectSweepMatchesPerCall(evaluator, weights: Self.counts, parallel: false, "fashion-mnist serial")
        let serial = evaluator.sweepWeightedMeans(weights: Self.counts, metric: .accuracy, parallel: false)
        #expect(evaluator.sweepWeightedMeans(weights: Self.counts, metric: .accuracy, parallel: true) == serial)
    }

    @Test func emptySubsetIsTheBaseAndZeroWeightSubsetsToo() {
        let spec = ModelSpec.mlp(hidden: [16])
        let (base, deltas, data) = CombinationEvaluatorTests.setup(spec, clients: 2)
        let evaluator = CombinationEvaluator(spec: spec, base: base, deltas: deltas, data: data)
        var model = Model(spec: spec, seed: 0)
        model.parameters = base
        let plain = model.evaluate(data)
        let accuracy = evaluator.sweepWeightedMeans(weights: [0, 7], metric: .accuracy)
        let loss = evaluator.sweepWeightedMeans(weights: [0, 7], metric: .loss)
        // Index 0 (nobody) and index 1 (only a zero-weight member, W_S = 0) both evaluate the base model.
        #expect(accuracy[0] == plain.accuracy && accuracy[1] == plain.accuracy)
        #expect(abs(loss[0] - plain.loss) <= 1e-6 * plain.loss && loss[1] == loss[0])
        // A zero-weight member does not change a subset's mean: {0, 1} is {1}.
        #expect(accuracy[3] == accuracy[2] && loss[3] == loss[2])
        // Weights are relative: scaling them all leaves every mean unchanged.
        let scaled = evaluator.sweepWeightedMeans(weights: [10, 14], metric: .accuracy)
        #expect(scaled == evaluator.sweepWeightedMeans(weights: [5, 7], metric: .accuracy))
    }
}
