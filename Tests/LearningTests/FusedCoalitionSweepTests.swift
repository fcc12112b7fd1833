import Testing
@testable import Learning

/// The cache-blocked sweep (first layer → ReLU → dense): the same accuracies as the per-call path and the Gray-code sweep.
@Suite struct FusedCoalitionSweepTests {
    @Test func blockedSweepMatchesPerCallAndGrayCodeWithPaddingAndZeroWeights() {
        // 197 images: a full block of 128 rows and one of 69 (padded to 72); a hidden width that is no multiple of 8.
        let spec = ModelSpec.mlp(hidden: [20])
        let (base, deltas, all) = CombinationEvaluatorTests.setup(spec, clients: 9)
        let data = all.subset(Array(0..<197))
        let weights: [Float] = [40, 13, 9, 5, 60, 22, 31, 77, 18]
        let evaluator = CombinationEvaluator(spec: spec, base: base, deltas: deltas, data: data)
        #expect(FusedCoalitionSweep.applies(to: evaluator.model, members: weights.count))
        #expect(FusedCoalitionSweep(evaluator: evaluator).blocks == 2)
        CombinationSweepTests.expectSweepMatchesPerCall(evaluator, weights: weights, parallel: true, "blocked")
        #expect(evaluator.sweepWeightedMeans(weights: weights, metric: .accuracy)
                == evaluator.sweepWeightedMeans(weights: weights, metric: .accuracy, kernel: .grayCode))
        // Member 2 with weight 0: adding it changes no subset's model.
        var zeroWeight = weights
        zeroWeight[2] = 0
        let blocked = evaluator.sweepWeightedMeans(weights: zeroWeight, metric: .accuracy)
        #expect(blocked == evaluator.sweepWeightedMeans(weights: zeroWeight, metric: .accuracy, kernel: .grayCode))
        for mask in 0..<(1 << weights.count) where mask & 4 == 0 { #expect(blocked[mask | 4] == blocked[mask]) }
        // Thread count does not change a single bit, losses included (fixed segments, added in order).
        #expect(evaluator.sweepWeightedMeans(weights: weights, metric: .loss, parallel: true)
                == evaluator.sweepWeightedMeans(weights: weights, metric: .loss, parallel: false))
    }

    /// Every kernel variant this CPU runs (baseline, AVX2, AVX-512 with its 16-row groups) gives the Gray-code sweep's
    /// accuracies exactly and its losses up to float rounding, with one thread or several.
    @Test func everyKernelVariantAgrees() {
        let spec = ModelSpec.mlp(hidden: [20])
        let (base, deltas, all) = CombinationEvaluatorTests.setup(spec, clients: 7)
        let data = all.subset(Array(0..<197))
        let weights: [Float] = [40, 13, 0, 5, 60, 22, 31]
        let evaluator = CombinationEvaluator(spec: spec, base: base, deltas: deltas, data: data)
        let accuracy = evaluator.sweepWeightedMeans(weights: weights, metric: .accuracy, kernel: .grayCode)
        let loss = evaluator.sweepWeightedMeans(weights: weights, metric: .loss, kernel: .grayCode)
        #expect(FusedCoalitionSweep.availableISAs.first == 0 && FusedCoalitionSweep.availableISAs.last == FusedCoalitionSweep.bestISA)
        for isa in FusedCoalitionSweep.availableISAs {
            let sweep = FusedCoalitionSweep(evaluator: evaluator, isa: isa)
            #expect(sweep.rows % sweep.lanes == 0 && sweep.lanes == (isa == 2 ? 16 : 8))
            for parallel in [true, false] {
                #expect(evaluator.fusedSweep(weights: weights, metric: .accuracy, parallel: parallel, isa: isa) == accuracy,
                        "\(FusedCoalitionSweep.instructionSet(isa)), parallel \(parallel)")
                let got = evaluator.fusedSweep(weights: weights, metric: .loss, parallel: parallel, isa: isa)
                #expect(zip(got, loss).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "\(FusedCoalitionSweep.instructionSet(isa))")
            }
        }
    }

    @Test func threeClassesTakeTheGenericClassLoop() {
        let source = SyntheticDataset.generate(count: 260, seed: 5)
        let data = Dataset(features: source.features, labels: source.labels.map { $0 % 3 }, featureShape: source.featureShape, classCount: 3)
        let spec = ModelSpec.mlp(hidden: [24])
        var model = Model(spec: spec, inputShape: [1, 28, 28], classCount: 3, seed: 4)
        _ = Trainer.train(&model, on: data.subset(Array(0..<100)), epochs: 1, batchSize: 20, optimizer: SGD(learningRate: 0.05), seed: 2)
        let deltas = (0..<5).map { c -> [Float] in
            var client = model
            _ = Trainer.train(&client, on: data.subset(Array((c * 20)..<(c * 20 + 20))), epochs: 1, batchSize: 10,
                              optimizer: SGD(learningRate: 0.2), seed: UInt64(30 + c))
            return zip(client.parameters, model.parameters).map { $0 - $1 }
        }
        let evaluator = CombinationEvaluator(spec: spec, classCount: 3, base: model.parameters, deltas: deltas,
                                             data: data.subset(Array(100..<260)))
        #expect(FusedCoalitionSweep.applies(to: evaluator.model, members: 5))
        CombinationSweepTests.expectSweepMatchesPerCall(evaluator, weights: [3, 1, 4, 1, 5], parallel: false, "3 classes")
    }

    @Test func rowsWithEqualLogitsAreReevaluatedByThePerCallPath() {
        // A dense layer of zeros: every logit is 0 in every subset, so the per-call path's argmax is class 0 everywhere.
        // Without the tie re-evaluation the kernel would count every row as correct (its label's logit equals the top).
        let spec = ModelSpec.mlp(hidden: [16])
        var (base, deltas, data) = CombinationEvaluatorTests.setup(spec, clients: 4)
        let dense = Model(spec: spec, seed: 0).offsets[2]..<base.count
        for k in dense { base[k] = 0 }
        for i in deltas.indices { for k in dense { deltas[i][k] = 0 } }
        let evaluator = CombinationEvaluator(spec: spec, base: base, deltas: deltas, data: data)
        let accuracy = evaluator.sweepWeightedMeans(weights: [1, 2, 3, 4], metric: .accuracy)
        let zeros = Double(data.labels.filter { $0 == 0 }.count) / Double(data.count)
        #expect(zeros < 0.5)
        #expect(accuracy == [Double](repeating: zeros, count: 16))
    }

    @Test func blocksFitTheCacheBudget() {
        for (members, hidden) in [(1, 128), (10, 128), (14, 128), (16, 128), (10, 512), (30, 1024)] {
          for lanes in [8, 16] {
            let rows = FusedCoalitionSweep.blockRows(members: members, hidden: hidden, lanes: lanes)
            #expect(rows % lanes == 0 && rows >= lanes && rows <= 128, "N=\(members) H=\(hidden): \(rows)")
            if rows > lanes {
                #expect((2 * members + 2) * hidden * 4 * rows <= FusedCoalitionSweep.cacheBudget, "N=\(members) H=\(hidden): \(rows)")
            }
          }
        }
        #expect(FusedCoalitionSweep.cacheBudget >= 256 * 1024 * 6 / 10)
    }
}
