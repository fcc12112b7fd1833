import Testing
@testable import Learning

/// The row kernel of the first dense layer (`CDenseKernel`): every variant against a scalar loop of fused multiply-adds
/// in the documented order, bit for bit, and training through it against training through BLAS.
@Suite(.enabled(if: DenseKernel.best != nil, "the CPU has neither AVX-512 nor AVX2 with FMA"))
struct DenseKernelTests {
    /// Rows scattered through a larger array in shuffled order, as a training batch's samples are.
    struct Scattered {
        let storage: [Float]
        let offsets: [Int]

        init(rows: Int, width: Int, rng: inout SeededGenerator) {
            let spare = rows + 3
            storage = GradientCheck.random(spare * width, &rng).map { $0 > 0.6 ? 0 : $0 }   // some exact zeros, like pixels
            var order = Array(0..<spare)
            rng.shuffle(&order)
            offsets = order.prefix(rows).map { $0 * width }
        }

        func row(_ r: Int) -> ArraySlice<Float> { storage[offsets[r]...] }

        func withRows<R>(_ body: (UnsafePointer<UnsafePointer<Float>?>) -> R) -> R {
            storage.withUnsafeBufferPointer { s in
                let pointers: [UnsafePointer<Float>?] = offsets.map { s.baseAddress! + $0 }
                return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
            }
        }
    }

    /// Entries that are not equal (NaN never is).
    static func differing(_ a: [Float], _ b: [Float]) -> Int {
        a.count == b.count ? zip(a, b).filter { $0 != $1 }.count : max(a.count, b.count)
    }

    static let shapes: [(batch: Int, inputs: Int, outputs: Int)] = [(1, 5, 64), (7, 784, 128), (13, 37, 192), (32, 100, 64), (6, 6, 128)]

    @Test func everyVariantComputesTheForwardPassInDocumentedOrder() {
        for kernel in DenseKernel.available {
            for (batch, inputs, outputs) in Self.shapes where kernel.runs(outputs: outputs) {
                var rng = SeededGenerator(seed: UInt64(batch * 1000 + inputs))
                let x = Scattered(rows: batch, width: inputs, rng: &rng)
                let w = GradientCheck.random(inputs * outputs, &rng), bias = GradientCheck.random(outputs, &rng)
                var y = [Float](repeating: .nan, count: batch * outputs)
                x.withRows { rows in
                    w.withUnsafeBufferPointer { wb in bias.withUnsafeBufferPointer { bb in y.withUnsafeMutableBufferPointer { yb in
                        kernel.forward(rows: rows, batch: batch, inputs: inputs, outputs: outputs, weights: wb.baseAddress!,
                                       bias: bb.baseAddress!, into: yb.baseAddress!)
                    } } }
                }
                var expected = [Float](repeating: 0, count: batch * outputs)
                for r in 0..<batch {
                    let row = x.row(r), start = row.startIndex
                    for j in 0..<outputs {
                        var acc = bias[j]
                        for k in 0..<inputs { acc = acc.addingProduct(row[start + k], w[k * outputs + j]) }
                        expected[r * outputs + j] = acc
                    }
                }
                #expect(Self.differing(y, expected) == 0, "\(kernel.name) forward, batch \(batch), \(inputs) → \(outputs)")
            }
        }
    }

    @Test(arguments: [(Float(-0.05), Float(0)), (-0.05, 1), (1, 0), (0.5, 0.9)])
    func everyVariantComputesTheWeightGradientInDocumentedOrder(_ alpha: Float, _ beta: Float) {
        for kernel in DenseKernel.available {
            for (batch, inputs, outputs) in Self.shapes where kernel.runs(outputs: outputs) {
                var rng = SeededGenerator(seed: UInt64(batch * 7 + inputs))
                let x = Scattered(rows: batch, width: inputs, rng: &rng)
                let dy = GradientCheck.random(batch * outputs, &rng, scale: 0.01)
                let before = GradientCheck.random(inputs * outputs, &rng)
                // With beta = 0 the gradient must not be read: NaN there would otherwise show in the result.
                var g = beta == 0 ? [Float](repeating: .nan, count: inputs * outputs) : before
                x.withRows { rows in
                    dy.withUnsafeBufferPointer { db in g.withUnsafeMutableBufferPointer { gb in
                        kernel.weightGradient(rows: rows, batch: batch, inputs: inputs, outputs: outputs, dy: db.baseAddress!,
                                              alpha: alpha, beta: beta, into: gb.baseAddress!)
                    } }
                }
                var expected = [Float](repeating: 0, count: inputs * outputs)
                for k in 0..<inputs {
                    for j in 0..<outputs {
                        var acc: Float = 0
                        for r in 0..<batch { acc = acc.addingProduct(x.row(r)[x.offsets[r] + k], dy[r * outputs + j]) }
                        expected[k * outputs + j] = beta == 0 ? alpha * acc : (beta * before[k * outputs + j]).addingProduct(alpha, acc)
                    }
                }
                #expect(Self.differing(g, expected) == 0, "\(kernel.name) gradient, alpha \(alpha), beta \(beta), batch \(batch), \(inputs) → \(outputs)")
            }
        }
    }

    @Test func variantsRunWhereTheirColumnTilesFit() throws {
        let best = try #require(DenseKernel.best)
        #expect(best.runs(outputs: 128))
        #expect(!best.runs(outputs: 10))
        #expect(!best.runs(outputs: 0))
        #expect(Model(spec: .mlp(hidden: [128]), seed: 1).rowKernelLayer(best) != nil)
        #expect(Model(spec: .logreg, seed: 1).rowKernelLayer(best) == nil, "10 outputs: BLAS")
        #expect(Model(spec: .cnn, seed: 1).rowKernelLayer(best) == nil, "a convolution first: BLAS")
        #expect(Model(spec: .mlp(hidden: [128]), seed: 1).rowKernelLayer(nil) == nil)
    }

    /// One batch holding every sample: the row-kernel step equals p − lr·(g + wd·p) with g from the BLAS back-propagation
    /// (gradient-checked in GradientCheckTests), plain and with momentum and weight decay.
    @Test(arguments: [SGD(learningRate: 0.1), SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)])
    func oneRowKernelStepEqualsTheBLASGradientStep(_ optimizer: SGD) throws {
        let kernel = try #require(DenseKernel.best)
        let data = SyntheticDataset.generate(count: 16, seed: 4)
        let start = Model(spec: .mlp(hidden: [64]), seed: 5)
        try #require(start.rowKernelLayer(kernel) != nil)
        var stepped = start
        _ = Trainer.train(&stepped, on: data, epochs: 1, batchSize: 16, optimizer: optimizer, seed: 1, firstLayer: kernel)

        let p = start.parameters, g = GradientCheck.batchGradient(start, data: data)
        let expected = zip(p, g).map { $0 - optimizer.learningRate * ($1 + optimizer.weightDecay * $0) }
        let moved = zip(stepped.parameters, p).map { abs($0 - $1) }.max()!
        let worst = zip(expected, stepped.parameters).map { abs($0 - $1) }.max()!
        #expect(moved > 1e-3)
        #expect(worst < 1e-5, "row-kernel step differs from the BLAS gradient step by \(worst)")
    }

    /// Two epochs with a partial last batch: the row kernel and BLAS differ by summation order only.
    @Test(arguments: [SGD(learningRate: 0.05), SGD(learningRate: 0.05, momentum: 0.5, weightDecay: 0.001)])
    func trainingThroughTheRowKernelMatchesTrainingThroughBLAS(_ optimizer: SGD) throws {
        let kernel = try #require(DenseKernel.best)
        let data = SyntheticDataset.generate(count: 37, seed: 5)
        let start = Model(spec: .mlp(hidden: [64]), seed: 3)
        var viaKernel = start, viaBLAS = start
        let a = Trainer.train(&viaKernel, on: data, epochs: 2, batchSize: 16, optimizer: optimizer, seed: 77, firstLayer: kernel)
        let b = Trainer.train(&viaBLAS, on: data, epochs: 2, batchSize: 16, optimizer: optimizer, seed: 77, firstLayer: nil)
        let moved = zip(viaBLAS.parameters, start.parameters).map { abs($0 - $1) }.max()!
        let difference = zip(viaKernel.parameters, viaBLAS.parameters).map { abs($0 - $1) }.max()!
        #expect(moved > 1e-3)
        #expect(difference <= 1e-4 * moved, "kernel and BLAS differ by \(difference) after training moved them by \(moved)")
        #expect(abs(a.meanLoss - b.meanLoss) <= 1e-5 * b.meanLoss)
    }
}
