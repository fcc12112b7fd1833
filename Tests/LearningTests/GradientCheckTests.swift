import Testing
@testable import Learning

/// Central finite differences in float32 with double accumulation, compared by relative vector error.
enum GradientCheck {
    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        var diff = 0.0, scale = 0.0
        for (x, y) in zip(a, b) { diff += (x - y) * (x - y); scale += x * x + y * y }
        return diff.squareRoot() / max(scale.squareRoot(), 1e-12)
    }

    /// d f / d v_i for every i, by (f(v + eps e_i) − f(v − eps e_i)) / 2 eps.
    static func numeric(_ v: [Float], eps: Float, _ f: ([Float]) -> Double) -> [Double] {
        var w = v
        return (0..<v.count).map { i in
            w[i] = v[i] + eps; let plus = f(w)
            w[i] = v[i] - eps; let minus = f(w)
            w[i] = v[i]
            return (plus - minus) / Double(2 * eps)
        }
    }

    /// dL/dparameters of `model`'s mean cross-entropy over all of `data` as one batch, by the BLAS back-propagation.
    static func batchGradient(_ model: Model, data: Dataset) -> [Float] {
        let workspace = Workspace(layers: model.layers, capacity: data.count, withGradients: true)
        let p = model.parameters
        var g = [Float](repeating: 0, count: p.count)
        p.withUnsafeBufferPointer { pb in g.withUnsafeMutableBufferPointer { gb in
            data.features.withUnsafeBufferPointer { xb in data.labels.withUnsafeBufferPointer { lb in
                let logits = model.forward(xb.baseAddress!, batch: data.count, parameters: pb.baseAddress!, workspace: workspace)
                _ = SoftmaxCrossEntropy.evaluate(logits: logits, labels: lb.baseAddress!, batch: data.count, classes: model.classCount,
                                                 gradient: workspace.gradients[model.layers.count - 1])
                model.backward(xb.baseAddress!, batch: data.count, parameters: pb.baseAddress!, gradient: gb.baseAddress!,
                               workspace: workspace)
            } }
        } }
        return g
    }

    static func random(_ n: Int, _ rng: inout SeededGenerator, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in (2 * rng.uniformFloat() - 1) * scale }
    }

    /// Checks a layer's parameter and input gradients for L = Σ r ⊙ layer(x; p) with fixed random r.
    static func check(_ layer: some Layer, batch: Int, x: [Float], eps: Float = 1e-2, seed: UInt64 = 7) -> (parameters: Double, input: Double) {
        var rng = SeededGenerator(seed: seed)
        var p = [Float](repeating: 0, count: max(layer.parameterCount, 1))
        p.withUnsafeMutableBufferPointer { layer.initialize($0.baseAddress!, rng: &rng) }
        for i in 0..<layer.parameterCount { p[i] += (2 * rng.uniformFloat() - 1) * 0.1 }   // non-zero biases too
        let r = random(batch * layer.outputSize, &rng)

        func loss(_ x: [Float], _ p: [Float]) -> Double {
            var y = [Float](repeating: 0, count: batch * layer.outputSize)
            x.withUnsafeBufferPointer { xb in p.withUnsafeBufferPointer { pb in y.withUnsafeMutableBufferPointer { yb in
                layer.forward(xb.baseAddress!, batch: batch, parameters: pb.baseAddress!, into: yb.baseAddress!)
            } } }
            return zip(y, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }

        var y = [Float](repeating: 0, count: batch * layer.outputSize)
        var gp = [Float](repeating: .nan, count: p.count), gx = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xb in p.withUnsafeBufferPointer { pb in
            y.withUnsafeMutableBufferPointer { yb in
                layer.forward(xb.baseAddress!, batch: batch, parameters: pb.baseAddress!, into: yb.baseAddress!)
            }
            y.withUnsafeBufferPointer { yb in r.withUnsafeBufferPointer { rb in
                gp.withUnsafeMutableBufferPointer { g in gx.withUnsafeMutableBufferPointer { dx in
                    layer.backward(x: xb.baseAddress!, y: yb.baseAddress!, dy: rb.baseAddress!, batch: batch,
                                   parameters: pb.baseAddress!, gradient: g.baseAddress!, alpha: 1, beta: 0, dx: dx.baseAddress!)
                } }
            } }
        } }
        let parameterError = layer.parameterCount == 0 ? 0 :
            relativeError(gp.prefix(layer.parameterCount).map(Double.init), Array(numeric(p, eps: eps) { loss(x, $0) }.prefix(layer.parameterCount)))
        let inputError = relativeError(gx.map(Double.init), numeric(x, eps: eps) { loss($0, p) })
        return (parameterError, inputError)
    }
}

@Suite struct GradientCheckTests {
    @Test func denseGradients() {
        var rng = SeededGenerator(seed: 1)
        let layer = Dense(inputs: 7, outputs: 5, feedsReLU: true)
        let errors = GradientCheck.check(layer, batch: 3, x: GradientCheck.random(21, &rng))
        #expect(errors.parameters < 1e-2)
        #expect(errors.input < 1e-2)
    }

    @Test func reluGradients() {
        var rng = SeededGenerator(seed: 2)
        // Keep inputs at least 0.1 away from the kink so ±eps never crosses it.
        let x = GradientCheck.random(24, &rng).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
        let errors = GradientCheck.check(ReLU(size: 8), batch: 3, x: x, eps: 1e-3)
        #expect(errors.input < 1e-2)
    }

    @Test func convGradients() {
        var rng = SeededGenerator(seed: 3)
        let layer = Conv2D(height: 6, width: 7, channels: 2, kernel: 3, filters: 4)
        let errors = GradientCheck.check(layer, batch: 2, x: GradientCheck.random(2 * layer.inputSize, &rng))
        #expect(errors.parameters < 1e-2)
        #expect(errors.input < 1e-2)
    }

    @Test func maxPoolGradients() {
        // Distinct values on a grid of step 0.05 > 2·eps, so no argmax changes under the perturbation.
        var rng = SeededGenerator(seed: 4)
        let layer = MaxPool2D(height: 4, width: 5, channels: 3)
        var values = (0..<(2 * layer.inputSize)).map { Float($0) * 0.05 }
        rng.shuffle(&values)
        let errors = GradientCheck.check(layer, batch: 2, x: values, eps: 1e-2)
        #expect(errors.input < 1e-2)
    }

    @Test func flattenGradients() {
        var rng = SeededGenerator(seed: 5)
        let errors = GradientCheck.check(Flatten(size: 12), batch: 2, x: GradientCheck.random(24, &rng))
        #expect(errors.input < 1e-2)
    }

    @Test func softmaxCrossEntropyGradient() {
        var rng = SeededGenerator(seed: 6)
        let batch = 4, classes = 5
        let logits = GradientCheck.random(batch * classes, &rng, scale: 3)
        let labels: [Int32] = [0, 3, 4, 1]
        func meanLoss(_ z: [Float]) -> Double {
            z.withUnsafeBufferPointer { zb in labels.withUnsafeBufferPointer { lb in
                SoftmaxCrossEntropy.evaluate(logits: zb.baseAddress!, labels: lb.baseAddress!, batch: batch, classes: classes).lossSum
            } } / Double(batch)
        }
        var gradient = [Float](repeating: .nan, count: batch * classes)
        logits.withUnsafeBufferPointer { zb in labels.withUnsafeBufferPointer { lb in gradient.withUnsafeMutableBufferPointer { g in
            _ = SoftmaxCrossEntropy.evaluate(logits: zb.baseAddress!, labels: lb.baseAddress!, batch: batch, classes: classes, gradient: g.baseAddress!)
        } } }
        let numeric = GradientCheck.numeric(logits, eps: 1e-2, meanLoss)
        #expect(GradientCheck.relativeError(gradient.map(Double.init), numeric) < 1e-2)
        // Independent value: −log softmax by hand for row 0.
        let row = logits[0..<classes].map(Double.init)
        let expected = -(row[0] - _log(row.map { _exp($0) }.reduce(0, +)))
        let single = Array(logits[0..<classes])
        let got = single.withUnsafeBufferPointer { zb in [Int32(0)].withUnsafeBufferPointer { lb in
            SoftmaxCrossEntropy.evaluate(logits: zb.baseAddress!, labels: lb.baseAddress!, batch: 1, classes: classes).lossSum } }
        #expect(abs(got - expected) < 1e-5)
    }

    /// Whole models: back-propagation through every layer against the numeric gradient of the mean loss.
    @Test(arguments: ["logreg", "mlp:6,5", "cnn"])
    func modelGradients(spec: String) throws {
        let inputShape = [1, 16, 16]
        var model = Model(spec: try ModelSpec(parsing: spec), inputShape: inputShape, classCount: 4, seed: 11)
        var rng = SeededGenerator(seed: 12)
        var p = model.parameters
        for i in p.indices { p[i] += (2 * rng.uniformFloat() - 1) * 0.05 }
        model.parameters = p
        let batch = 3
        let x = (0..<(batch * 256)).map { _ in rng.uniformFloat() }
        let labels: [Int32] = [1, 3, 0]

        func meanLoss(_ parameters: [Float]) -> Double {
            parameters.withUnsafeBufferPointer { pb in x.withUnsafeBufferPointer { xb in labels.withUnsafeBufferPointer { lb in
                model.evaluate(inputs: xb.baseAddress!, width: 256, labels: lb.baseAddress!, count: batch,
                               parameters: pb.baseAddress!, batchSize: batch).loss
            } } }
        }
        let workspace = Workspace(layers: model.layers, capacity: batch, withGradients: true)
        var gradient = [Float](repeating: .nan, count: model.parameterCount)
        p.withUnsafeBufferPointer { pb in x.withUnsafeBufferPointer { xb in labels.withUnsafeBufferPointer { lb in
            gradient.withUnsafeMutableBufferPointer { g in
                let logits = model.forward(xb.baseAddress!, batch: batch, parameters: pb.baseAddress!, workspace: workspace)
                _ = SoftmaxCrossEntropy.evaluate(logits: logits, labels: lb.baseAddress!, batch: batch, classes: 4,
                                                 gradient: workspace.gradients[model.layers.count - 1])
                model.backward(xb.baseAddress!, batch: batch, parameters: pb.baseAddress!, gradient: g.baseAddress!, workspace: workspace)
            }
        } } }
        let numeric = GradientCheck.numeric(p, eps: 1e-3, meanLoss)
        #expect(GradientCheck.relativeError(gradient.map(Double.init), numeric) < 1e-2)
    }

    /// The check must catch wrong backward passes: a dense layer that drops the bias gradient's last entry,
    /// and a ReLU that passes gradients through where it is inactive.
    @Test func checkCatchesBrokenLayers() {
        var rng = SeededGenerator(seed: 8)
        let dense = GradientCheck.check(BrokenDense(inner: Dense(inputs: 4, outputs: 3, feedsReLU: false)), batch: 2, x: GradientCheck.random(8, &rng))
        #expect(dense.parameters > 1e-2)
        let x = GradientCheck.random(16, &rng).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
        #expect(GradientCheck.check(LeakyBrokenReLU(size: 8), batch: 2, x: x, eps: 1e-3).input > 1e-2)
    }

    /// The check itself must catch a wrong gradient: a 5% scale error and a single flipped entry both exceed the bound.
    @Test func checkerRejectsWrongGradients() {
        var rng = SeededGenerator(seed: 9)
        let exact = (0..<50).map { _ in Double(rng.uniformFloat() + 0.5) }
        #expect(GradientCheck.relativeError(exact.map { $0 * 1.05 }, exact) > 1e-2)
        var flipped = exact
        flipped[17] = -flipped[17]
        #expect(GradientCheck.relativeError(flipped, exact) > 1e-2)
        #expect(GradientCheck.relativeError(exact, exact) == 0)
    }
}

/// Dense whose backward forgets the last bias entry.
struct BrokenDense: Layer {
    let inner: Dense
    var inputSize: Int { inner.inputSize }
    var outputSize: Int { inner.outputSize }
    var parameterCount: Int { inner.parameterCount }
    func initialize(_ parameters: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) { inner.initialize(parameters, rng: &rng) }
    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        inner.forward(x, batch: batch, parameters: parameters, into: y)
    }
    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int,
                  parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, alpha: Float, beta: Float,
                  dx: UnsafeMutablePointer<Float>?) {
        inner.backward(x: x, y: y, dy: dy, batch: batch, parameters: parameters, gradient: gradient, alpha: alpha, beta: beta, dx: dx)
        gradient[parameterCount - 1] = 0
    }
}

/// ReLU whose backward ignores the mask.
struct LeakyBrokenReLU: Layer {
    let size: Int
    var inputSize: Int { size }
    var outputSize: Int { size }
    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        ReLU(size: size).forward(x, batch: batch, parameters: parameters, into: y)
    }
    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int,
                  parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, alpha: Float, beta: Float,
                  dx: UnsafeMutablePointer<Float>?) {
        dx?.update(from: dy, count: batch * size)
    }
}
