/// What a training run did: mean training loss over all samples seen, how many samples, wall-clock seconds.
public struct TrainingReport: Sendable {
    public var meanLoss: Double
    public var samples: Int
    public var seconds: Double

    public init(meanLoss: Double, samples: Int, seconds: Double) {
        self.meanLoss = meanLoss
        self.samples = samples
        self.seconds = seconds
    }
}

/// Mini-batch training loop: per epoch a seeded shuffle, then forward, softmax cross-entropy, backward and an SGD step per batch.
public enum Trainer {
    /// The last batch of an epoch may be smaller. Momentum state starts at zero on every call. `firstLayer`: when the
    /// model starts with a dense layer that kernel runs, that layer reads each batch's samples where they lie (no
    /// gathered copy, no OpenBLAS packing); nil, or a first layer it does not run, gathers the batch and uses BLAS.
    public static func train(_ model: inout Model, on data: Dataset, epochs: Int, batchSize: Int, optimizer: SGD, seed: UInt64,
                             firstLayer kernel: DenseKernel? = .best) -> TrainingReport {
        precondition(batchSize > 0, "batch size must be positive")
        precondition(data.featureCount == model.inputSize, "data has \(data.featureCount) features, model expects \(model.inputSize)")
        let start = ContinuousClock.now
        let count = data.count, width = model.inputSize, classes = model.classCount
        guard count > 0, epochs > 0 else { return TrainingReport(meanLoss: 0, samples: 0, seconds: 0) }
        let rowKernel = model.rowKernelLayer(kernel)

        var rng = SeededGenerator(seed: seed)
        var order = Array(0..<count)
        let capacity = min(batchSize, count)
        let workspace = Workspace(layers: model.layers, capacity: capacity, withGradients: true)
        let input = UnsafeMutablePointer<Float>.allocate(capacity: rowKernel == nil ? capacity * width : 0)
        let rows = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: capacity)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let gradient = UnsafeMutablePointer<Float>.allocate(capacity: model.parameterCount)
        let velocity = UnsafeMutablePointer<Float>.allocate(capacity: model.parameterCount)
        velocity.initialize(repeating: 0, count: model.parameterCount)
        defer { input.deallocate(); rows.deallocate(); labels.deallocate(); gradient.deallocate(); velocity.deallocate() }

        var lossSum = 0.0
        var storage = model.storage
        model.storage = []          // keeps `storage` uniquely referenced: no copy-on-write below
        let layers = model
        let last = layers.layers.count - 1
        storage.withUnsafeMutableBufferPointer { parameters in
            let p = parameters.baseAddress!
            data.features.withUnsafeBufferPointer { features in
                data.labels.withUnsafeBufferPointer { allLabels in
                    for _ in 0..<epochs {
                        rng.shuffle(&order)
                        for first in stride(from: 0, to: count, by: capacity) {
                            let batch = min(capacity, count - first)
                            for r in 0..<batch {
                                let index = order[first + r]
                                if rowKernel == nil {
                                    (input + r * width).update(from: features.baseAddress! + index * width, count: width)
                                } else {
                                    rows[r] = features.baseAddress! + index * width
                                }
                                labels[r] = allLabels[index]
                            }
                            let logits: UnsafeMutablePointer<Float>
                            if let (dense, kernel) = rowKernel {
                                dense.forward(rows: rows, batch: batch, parameters: p, into: workspace.activations[0], kernel: kernel)
                                logits = layers.forward(workspace.activations[0], batch: batch, parameters: p, workspace: workspace, from: 1)
                            } else {
                                logits = layers.forward(input, batch: batch, parameters: p, workspace: workspace)
                            }
                            lossSum += SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, batch: batch, classes: classes,
                                                                   gradient: workspace.gradients[last]).lossSum
                            // Plain SGD: the step p ← p − lr·g is fused into back-propagation (gradient = p).
                            let target = optimizer.isPlain ? p : gradient
                            let alpha: Float = optimizer.isPlain ? -optimizer.learningRate : 1, beta: Float = optimizer.isPlain ? 1 : 0
                            layers.backward(input, batch: batch, parameters: p, gradient: target, alpha: alpha, beta: beta,
                                            workspace: workspace, through: rowKernel == nil ? 0 : 1)
                            if let (dense, kernel) = rowKernel {
                                dense.backward(rows: rows, dy: workspace.gradients[0], batch: batch, gradient: target,
                                               alpha: alpha, beta: beta, kernel: kernel)
                            }
                            if !optimizer.isPlain {
                                optimizer.step(p, gradient: gradient, velocity: velocity, count: parameters.count)
                            }
                        }
                    }
                }
            }
        }
        model.storage = storage
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return TrainingReport(meanLoss: lossSum / Double(count * epochs), samples: count * epochs, seconds: seconds)
    }
}

extension Model {
    /// Whether `Trainer.train(…, firstLayer: kernel)` runs this model's first layer through `kernel`.
    public func trainsFirstLayer(with kernel: DenseKernel) -> Bool { rowKernelLayer(kernel) != nil }

    /// The first layer and `kernel` when the model starts with a dense layer whose width the kernel runs.
    func rowKernelLayer(_ kernel: DenseKernel?) -> (Dense, DenseKernel)? {
        guard let kernel, let dense = layers.first as? Dense, kernel.runs(outputs: dense.outputs) else { return nil }
        return (dense, kernel)
    }
}
