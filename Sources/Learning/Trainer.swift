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
    /// The last batch of an epoch may be smaller. Momentum state starts at zero on every call.
    public static func train(_ model: inout Model, on data: Dataset, epochs: Int, batchSize: Int, optimizer: SGD, seed: UInt64) -> TrainingReport {
        precondition(batchSize > 0, "batch size must be positive")
        precondition(data.featureCount == model.inputSize, "data has \(data.featureCount) features, model expects \(model.inputSize)")
        let start = ContinuousClock.now
        let count = data.count, width = model.inputSize, classes = model.classCount
        guard count > 0, epochs > 0 else { return TrainingReport(meanLoss: 0, samples: 0, seconds: 0) }

        var rng = SeededGenerator(seed: seed)
        var order = Array(0..<count)
        let capacity = min(batchSize, count)
        let workspace = Workspace(layers: model.layers, capacity: capacity, withGradients: true)
        let input = UnsafeMutablePointer<Float>.allocate(capacity: capacity * width)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let gradient = UnsafeMutablePointer<Float>.allocate(capacity: model.parameterCount)
        let velocity = UnsafeMutablePointer<Float>.allocate(capacity: model.parameterCount)
        velocity.initialize(repeating: 0, count: model.parameterCount)
        defer { input.deallocate(); labels.deallocate(); gradient.deallocate(); velocity.deallocate() }

        var lossSum = 0.0
        var storage = model.storage
        model.storage = []          // keeps `storage` uniquely referenced: no copy-on-write below
        let layers = model
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
                                (input + r * width).update(from: features.baseAddress! + index * width, count: width)
                                labels[r] = allLabels[index]
                            }
                            let logits = layers.forward(input, batch: batch, parameters: p, workspace: workspace)
                            lossSum += SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, batch: batch, classes: classes,
                                                                   gradient: workspace.gradients[layers.layers.count - 1]).lossSum
                            if optimizer.isPlain {
                                layers.backward(input, batch: batch, parameters: p, gradient: p,
                                                alpha: -optimizer.learningRate, beta: 1, workspace: workspace)
                            } else {
                                layers.backward(input, batch: batch, parameters: p, gradient: gradient, workspace: workspace)
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
