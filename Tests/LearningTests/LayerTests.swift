import Testing
@testable import Learning

/// Forward passes against direct loops written independently of the BLAS/im2col path.
@Suite struct LayerTests {
    @Test func denseForwardMatchesLoops() {
        var rng = SeededGenerator(seed: 21)
        let layer = Dense(inputs: 5, outputs: 3, feedsReLU: false)
        let p = GradientCheck.random(layer.parameterCount, &rng)
        let x = GradientCheck.random(2 * 5, &rng)
        var y = [Float](repeating: 0, count: 6)
        p.withUnsafeBufferPointer { pb in x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
            layer.forward(xb.baseAddress!, batch: 2, parameters: pb.baseAddress!, into: yb.baseAddress!)
        } } }
        for b in 0..<2 {
            for j in 0..<3 {
                var expected = Double(p[15 + j])
                for i in 0..<5 { expected += Double(x[b * 5 + i]) * Double(p[i * 3 + j]) }
                #expect(abs(Double(y[b * 3 + j]) - expected) < 1e-5)
            }
        }
    }

    /// Shapes large enough for OpenBLAS's blocked kernels: forward and the weight gradient against double loops.
    @Test func denseOnLargerShapesMatchesLoops() {
        var rng = SeededGenerator(seed: 23)
        let (batch, n, m) = (33, 200, 70)
        let layer = Dense(inputs: n, outputs: m, feedsReLU: false)
        let p = GradientCheck.random(layer.parameterCount, &rng)
        let x = GradientCheck.random(batch * n, &rng), dy = GradientCheck.random(batch * m, &rng)
        var y = [Float](repeating: 0, count: batch * m), g = [Float](repeating: 0, count: p.count)
        p.withUnsafeBufferPointer { pb in x.withUnsafeBufferPointer { xb in dy.withUnsafeBufferPointer { db in
            y.withUnsafeMutableBufferPointer { yb in
                layer.forward(xb.baseAddress!, batch: batch, parameters: pb.baseAddress!, into: yb.baseAddress!)
                g.withUnsafeMutableBufferPointer { gb in
                    layer.backward(x: xb.baseAddress!, y: yb.baseAddress!, dy: db.baseAddress!, batch: batch, parameters: pb.baseAddress!,
                                   gradient: gb.baseAddress!, alpha: 1, beta: 0, dx: nil)
                }
            }
        } } }
        var worstY = 0.0, worstG = 0.0
        for b in 0..<batch { for j in 0..<m {
            var s = Double(p[n * m + j])
            for i in 0..<n { s += Double(x[b * n + i]) * Double(p[i * m + j]) }
            worstY = max(worstY, abs(s - Double(y[b * m + j])))
        } }
        for i in 0..<n { for j in 0..<m {
            var s = 0.0
            for b in 0..<batch { s += Double(x[b * n + i]) * Double(dy[b * m + j]) }
            worstG = max(worstG, abs(s - Double(g[i * m + j])))
        } }
        #expect(worstY < 1e-4)
        #expect(worstG < 1e-4)
    }

    /// Plain SGD is fused into back-propagation (gradient aliasing the parameters); it must equal backward-then-step.
    @Test func fusedSGDStepEqualsSeparateStep() {
        let data = SyntheticDataset.generate(count: 16, seed: 4)
        let start = Model(spec: .mlp(hidden: [8]), seed: 5)
        var fused = start
        _ = Trainer.train(&fused, on: data, epochs: 1, batchSize: 16, optimizer: SGD(learningRate: 0.1), seed: 1)

        let p = start.parameters, g = GradientCheck.batchGradient(start, data: data)
        // One batch holding every sample: the shuffle only permutes rows, which changes sums by rounding alone.
        let expected = zip(p, g).map { $0 - 0.1 * $1 }
        let worst = zip(expected, fused.parameters).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5)
        #expect(fused.parameters != start.parameters)
    }

    @Test func convForwardMatchesDirectConvolution() {
        var rng = SeededGenerator(seed: 22)
        let (h, w, c, k, f, batch) = (6, 5, 2, 3, 4, 2)
        let layer = Conv2D(height: h, width: w, channels: c, kernel: k, filters: f)
        let p = GradientCheck.random(layer.parameterCount, &rng)
        let x = GradientCheck.random(batch * h * w * c, &rng)
        var y = [Float](repeating: 0, count: batch * layer.outputSize)
        p.withUnsafeBufferPointer { pb in x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
            layer.forward(xb.baseAddress!, batch: batch, parameters: pb.baseAddress!, into: yb.baseAddress!)
        } } }
        let (oh, ow) = (h - k + 1, w - k + 1)
        var worst = 0.0
        for b in 0..<batch { for oy in 0..<oh { for ox in 0..<ow { for o in 0..<f {
            var sum = Double(p[k * k * c * f + o])
            for ky in 0..<k { for kx in 0..<k { for ch in 0..<c {
                let input = x[b * h * w * c + ((oy + ky) * w + (ox + kx)) * c + ch]
                sum += Double(input) * Double(p[((ky * k + kx) * c + ch) * f + o])
            } } }
            worst = max(worst, abs(sum - Double(y[b * oh * ow * f + (oy * ow + ox) * f + o])))
        } } } }
        #expect(worst < 1e-5)
    }

    @Test func maxPoolPicksMaximaAndDropsOddEdge() {
        // 3×3 single channel: the last row and column are dropped; 1 output = max of the top-left 2×2.
        let layer = MaxPool2D(height: 3, width: 3, channels: 1)
        let x: [Float] = [1, 5, 9,
                          4, 2, 9,
                          9, 9, 9]
        var y: [Float] = [0]
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
            layer.forward(xb.baseAddress!, batch: 1, parameters: xb.baseAddress!, into: yb.baseAddress!)
        } }
        #expect(y == [5])
    }

    @Test func reluClampsNegatives() {
        let x: [Float] = [-2, 0, 3.5, -0.1]
        var y = [Float](repeating: 9, count: 4)
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
            ReLU(size: 4).forward(xb.baseAddress!, batch: 1, parameters: xb.baseAddress!, into: yb.baseAddress!)
        } }
        #expect(y == [0, 0, 3.5, 0])
    }

    @Test func sgdStepFollowsTheFormula() {
        // p = 1, g = 0.5, v = 0.2, lr 0.1, momentum 0.9, wd 0.01:
        // g' = 0.5 + 0.01 = 0.51; v = 0.9·0.2 + 0.51 = 0.69; p = 1 − 0.069 = 0.931
        var p: [Float] = [1, -2], g: [Float] = [0.5, 0], v: [Float] = [0.2, 0]
        let sgd = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        p.withUnsafeMutableBufferPointer { pb in g.withUnsafeMutableBufferPointer { gb in v.withUnsafeMutableBufferPointer { vb in
            sgd.step(pb.baseAddress!, gradient: gb.baseAddress!, velocity: vb.baseAddress!, count: 2)
        } } }
        #expect(abs(p[0] - 0.931) < 1e-6)
        #expect(abs(v[0] - 0.69) < 1e-6)
        #expect(abs(p[1] - (-2 + 0.1 * 0.9 * 0 - 0.1 * (0.01 * -2))) < 1e-6)   // decay only: v = −0.02, p = −2 + 0.002
    }
}
