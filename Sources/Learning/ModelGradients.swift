/// Gradients an attacker or a generator needs beyond training: with respect to the inputs, and the mixed derivative
/// d/dx ⟨∇θ L(θ; x, y), v⟩ (how moving a sample changes the alignment of its training gradient with a direction v).
extension Model {
    /// Mean cross-entropy of `labels` on the rows of `x`, its gradient with respect to the parameters and to the inputs.
    public func lossGradients(_ x: [Float], labels: [Int32]) -> (loss: Double, parameters: [Float], inputs: [Float]) {
        let batch = labels.count, width = inputSize
        precondition(batch > 0 && x.count == batch * width, "expected \(batch) rows of \(width) inputs, got \(x.count) values")
        let workspace = Workspace(layers: layers, capacity: batch, withGradients: true)
        var gradient = [Float](repeating: 0, count: parameterCount), inputs = [Float](repeating: 0, count: x.count)
        var loss = 0.0
        storage.withUnsafeBufferPointer { p in x.withUnsafeBufferPointer { xb in labels.withUnsafeBufferPointer { lb in
            gradient.withUnsafeMutableBufferPointer { g in inputs.withUnsafeMutableBufferPointer { dx in
                let logits = forward(xb.baseAddress!, batch: batch, parameters: p.baseAddress!, workspace: workspace)
                loss = SoftmaxCrossEntropy.evaluate(logits: logits, labels: lb.baseAddress!, batch: batch, classes: classCount,
                                                    gradient: workspace.gradients[layers.count - 1]).lossSum / Double(batch)
                backward(xb.baseAddress!, batch: batch, parameters: p.baseAddress!, gradient: g.baseAddress!,
                         workspace: workspace, inputGradient: dx.baseAddress!)
            } }
        } } }
        return (loss, gradient, inputs)
    }

    /// f(x) = ⟨∇θ L(θ; x, y), v⟩ for the mean cross-entropy L of the batch, and ∇x f, derived by hand for models made
    /// of dense and ReLU layers (logreg, mlp): a forward pass carries the tangent ż = ȧ·W + a·V + c of every layer
    /// along v, then one reverse pass carries the adjoints of both the activations and their tangents.
    public func alignment(_ x: [Float], labels: [Int32], direction v: [Float]) -> (value: Double, inputGradient: [Float]) {
        let batch = labels.count, width = inputSize, classes = classCount
        precondition(batch > 0 && x.count == batch * width, "expected \(batch) rows of \(width) inputs, got \(x.count) values")
        precondition(v.count == parameterCount, "direction has \(v.count) values, model has \(parameterCount) parameters")
        precondition(layers.allSatisfy { $0 is Dense || $0 is ReLU }, "the mixed derivative is derived for dense and ReLU layers only")
        let n = layers.count
        var activations: [[Float]] = [], tangents: [[Float]] = []
        storage.withUnsafeBufferPointer { p in v.withUnsafeBufferPointer { vb in
            for i in 0..<n {
                let input = i == 0 ? x : activations[i - 1]
                var out = [Float](repeating: 0, count: batch * layers[i].outputSize)
                var tangent = out
                input.withUnsafeBufferPointer { a in out.withUnsafeMutableBufferPointer { y in tangent.withUnsafeMutableBufferPointer { t in
                    layers[i].forward(a.baseAddress!, batch: batch, parameters: p.baseAddress! + offsets[i], into: y.baseAddress!)
                    if let dense = layers[i] as? Dense {
                        dense.forward(a.baseAddress!, batch: batch, parameters: vb.baseAddress! + offsets[i], into: t.baseAddress!)  // a·V + c
                        if i > 0 {
                            tangents[i - 1].withUnsafeBufferPointer { tin in
                                BLAS.gemm(m: batch, n: dense.outputs, k: dense.inputs, tin.baseAddress!, p.baseAddress! + offsets[i], beta: 1, t.baseAddress!)
                            }
                        }
                    } else if i > 0 {
                        for j in 0..<t.count { t[j] = y[j] > 0 ? tangents[i - 1][j] : 0 }
                    }
                } } }
                activations.append(out)
                tangents.append(tangent)
            }
        } }

        // Softmax probabilities, δ = dL/dz = (p − onehot)/B, value ⟨δ, ż⟩, and the adjoint of z: Jᵀ_δ(ż) = p ⊙ (ż − ⟨p, ż⟩)/B.
        let logits = activations[n - 1], tz = tangents[n - 1]
        var adjoint = [Float](repeating: 0, count: batch * classes)        // ā of the current layer's output
        var tangentAdjoint = [Float](repeating: 0, count: batch * classes) // adjoint of the current layer's tangent
        var value = 0.0
        let scale = 1 / Double(batch)
        for r in 0..<batch {
            let row = r * classes
            let top = (0..<classes).map { Double(logits[row + $0]) }.max()!
            let e = (0..<classes).map { _exp(Double(logits[row + $0]) - top) }
            let sum = e.reduce(0, +)
            let prob = e.map { $0 / sum }
            var pt = 0.0
            for j in 0..<classes { pt += prob[j] * Double(tz[row + j]) }
            for j in 0..<classes {
                let delta = (prob[j] - (j == Int(labels[r]) ? 1 : 0)) * scale
                value += delta * Double(tz[row + j])
                tangentAdjoint[row + j] = Float(delta)
                adjoint[row + j] = Float(prob[j] * (Double(tz[row + j]) - pt) * scale)
            }
        }

        storage.withUnsafeBufferPointer { p in v.withUnsafeBufferPointer { vb in
            for i in stride(from: n - 1, through: 0, by: -1) {
                var previous = [Float](repeating: 0, count: batch * layers[i].inputSize)
                var previousTangent = previous
                if let dense = layers[i] as? Dense {
                    let w = p.baseAddress! + offsets[i], vw = vb.baseAddress! + offsets[i]
                    adjoint.withUnsafeBufferPointer { a in tangentAdjoint.withUnsafeBufferPointer { ta in
                        previous.withUnsafeMutableBufferPointer { out in
                            BLAS.gemm(transposeB: true, m: batch, n: dense.inputs, k: dense.outputs, a.baseAddress!, w, out.baseAddress!)
                            BLAS.gemm(transposeB: true, m: batch, n: dense.inputs, k: dense.outputs, ta.baseAddress!, vw, beta: 1, out.baseAddress!)
                        }
                        if i > 0 {
                            previousTangent.withUnsafeMutableBufferPointer { out in
                                BLAS.gemm(transposeB: true, m: batch, n: dense.inputs, k: dense.outputs, ta.baseAddress!, w, out.baseAddress!)
                            }
                        }
                    } }
                } else {
                    let y = activations[i]
                    for j in 0..<previous.count where y[j] > 0 {
                        previous[j] = adjoint[j]
                        previousTangent[j] = tangentAdjoint[j]
                    }
                }
                adjoint = previous
                tangentAdjoint = previousTangent
            }
        } }
        return (value, adjoint)
    }
}
