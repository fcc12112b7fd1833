import Dispatch
import Foundation

/// A sequence of layers whose parameters are one flat vector.
///
/// Parameter order: layer by layer from input to output; within a layer, weights then bias.
/// Dense: W (inputs × outputs, row-major, y = x·W + b), then b. Conv: W ((k·k·channels) × filters, row-major,
/// row (ky·k + kx)·channels + c), then b. Activations are channels-last, so the dense layer after the CNN's
/// flatten reads (y, x, channel) order.
/// - logreg: dense(784→10)
/// - mlp(hidden: [h1, …, hn]): dense(784→h1), relu, …, dense(h(n-1)→hn), relu, dense(hn→10)
/// - cnn: conv 5×5×8, relu, maxpool 2×2, conv 5×5×16, relu, maxpool 2×2, flatten, dense(256→10)
/// Inputs are flattened `inputShape` rows; the cnn needs a single input channel.
public struct Model: Sendable {
    public let spec: ModelSpec
    public let inputShape: [Int]
    public let classCount: Int
    let layers: [any Layer]
    /// offsets[i] is where layer i's parameters start; offsets[layers.count] is the total.
    let offsets: [Int]
    var storage: [Float]

    /// Initialises weights He-uniform before a ReLU, Glorot-uniform otherwise, biases zero, from `seed`.
    public init(spec: ModelSpec, inputShape: [Int] = [1, 28, 28], classCount: Int = 10, seed: UInt64) {
        self.init(spec: spec, inputShape: inputShape, classCount: classCount, storage: [])
        let layers = self.layers, starts = offsets
        var rng = SeededGenerator(seed: seed)
        var storage = [Float](repeating: 0, count: offsets.last!)
        storage.withUnsafeMutableBufferPointer { p in
            for (i, layer) in layers.enumerated() { layer.initialize(p.baseAddress! + starts[i], rng: &rng) }
        }
        self.storage = storage
    }

    /// A model holding `parameters` (exactly as many as `spec` has; order in the type's documentation), without the
    /// random initialisation they would replace.
    public init(spec: ModelSpec, inputShape: [Int] = [1, 28, 28], classCount: Int = 10, parameters: [Float]) {
        self.init(spec: spec, inputShape: inputShape, classCount: classCount, storage: parameters)
        precondition(parameters.count == offsets.last!, "expected \(offsets.last!) parameters, got \(parameters.count)")
    }

    private init(spec: ModelSpec, inputShape: [Int], classCount: Int, storage: [Float]) {
        self.spec = spec
        self.inputShape = inputShape
        self.classCount = classCount
        let layers = Model.layers(spec: spec, inputShape: inputShape, classCount: classCount)
        self.layers = layers
        var offsets = [0]
        for layer in layers { offsets.append(offsets.last! + layer.parameterCount) }
        self.offsets = offsets
        self.storage = storage
    }

    /// Where the output layer's bias sits in the parameter vector (its last `classCount` entries), when the model ends
    /// in a dense layer to the classes; nil otherwise.
    public var outputBiasRange: Range<Int>? {
        guard let last = layers.last as? Dense, last.outputs == classCount else { return nil }
        return (offsets[layers.count] - classCount)..<offsets[layers.count]
    }

    static func layers(spec: ModelSpec, inputShape: [Int], classCount: Int) -> [any Layer] {
        let inputs = inputShape.reduce(1, *)
        switch spec {
        case .logreg:
            return [Dense(inputs: inputs, outputs: classCount, feedsReLU: false)]
        case let .mlp(hidden):
            var layers: [any Layer] = []
            var width = inputs
            for h in hidden {
                layers.append(Dense(inputs: width, outputs: h, feedsReLU: true))
                layers.append(ReLU(size: h))
                width = h
            }
            layers.append(Dense(inputs: width, outputs: classCount, feedsReLU: false))
            return layers
        case .cnn:
            precondition(inputShape.count == 3 && inputShape[0] == 1, "cnn expects input shape [1, height, width]")
            let conv1 = Conv2D(height: inputShape[1], width: inputShape[2], channels: 1, kernel: 5, filters: 8)
            let pool1 = MaxPool2D(height: conv1.outHeight, width: conv1.outWidth, channels: 8)
            let conv2 = Conv2D(height: pool1.outHeight, width: pool1.outWidth, channels: 8, kernel: 5, filters: 16)
            let pool2 = MaxPool2D(height: conv2.outHeight, width: conv2.outWidth, channels: 16)
            precondition(pool2.outputSize > 0, "input \(inputShape) too small for the cnn")
            return [conv1, ReLU(size: conv1.outputSize), pool1,
                    conv2, ReLU(size: conv2.outputSize), pool2,
                    Flatten(size: pool2.outputSize),
                    Dense(inputs: pool2.outputSize, outputs: classCount, feedsReLU: false)]
        }
    }

    public var parameterCount: Int { storage.count }

    /// The flat parameter vector (order in the type's documentation); setting it requires the same count.
    public var parameters: [Float] {
        get { storage }
        set {
            precondition(newValue.count == storage.count, "expected \(storage.count) parameters, got \(newValue.count)")
            storage = newValue
        }
    }

    var inputSize: Int { inputShape.reduce(1, *) }

    /// Runs layers `start...` on `x` (the input of layer `start`); returns the logits, which live in `workspace`.
    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, workspace: Workspace,
                 from start: Int = 0) -> UnsafeMutablePointer<Float> {
        var input = x
        for i in start..<layers.count {
            layers[i].forward(input, batch: batch, parameters: parameters + offsets[i], into: workspace.activations[i])
            input = UnsafePointer(workspace.activations[i])
        }
        return workspace.activations[layers.count - 1]
    }

    /// Back-propagates from dL/dlogits in `workspace.gradients.last`: gradient ← alpha·dL/dparameters + beta·gradient,
    /// and dL/dx into `inputGradient` when given. `gradient` may be `parameters` itself (alpha = −lr, beta = 1: plain
    /// SGD fused into the backward pass). With `through` > 0 it stops after layer `through`, leaving dL/d(output of layer
    /// `through` − 1) in `workspace.gradients` and `x` unread.
    func backward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>,
                  alpha: Float = 1, beta: Float = 0, workspace: Workspace, inputGradient: UnsafeMutablePointer<Float>? = nil,
                  through lowest: Int = 0) {
        for i in stride(from: layers.count - 1, through: lowest, by: -1) {
            layers[i].backward(x: i == 0 ? x : UnsafePointer(workspace.activations[i - 1]),
                               y: workspace.activations[i], dy: workspace.gradients[i], batch: batch,
                               parameters: parameters + offsets[i], gradient: gradient + offsets[i], alpha: alpha, beta: beta,
                               dx: i == 0 ? inputGradient : workspace.gradients[i - 1])
        }
    }

    /// Accuracy and mean loss over `data`, forwarding `batchSize` samples at a time. `parallel`: the batches run side by
    /// side on all cores when OpenBLAS runs one thread per call; the result is the same to the last bit either way.
    public func evaluate(_ data: Dataset, batchSize: Int = 500, parallel: Bool = false) -> Evaluation {
        precondition(data.featureCount == inputSize, "data has \(data.featureCount) features, model expects \(inputSize)")
        return storage.withUnsafeBufferPointer { p in
            data.features.withUnsafeBufferPointer { x in
                data.labels.withUnsafeBufferPointer { y in
                    evaluate(inputs: x.baseAddress, width: inputSize, labels: y.baseAddress, count: data.count,
                             parameters: p.baseAddress!, batchSize: batchSize, parallel: parallel && BLASThreads.current <= 1)
                }
            }
        }
    }

    /// Evaluates layers `start...` on `count` rows of `width` floats (the input of layer `start`). Per-batch sums are added
    /// in batch order, so `parallel` does not change the result.
    func evaluate(inputs: UnsafePointer<Float>?, width: Int, labels: UnsafePointer<Int32>?, count: Int,
                  parameters: UnsafePointer<Float>, batchSize: Int, from start: Int = 0, parallel: Bool = false) -> Evaluation {
        guard count > 0, let inputs, let labels else { return Evaluation(accuracy: 0, loss: 0, count: 0) }
        let capacity = max(1, min(batchSize, count))
        let batches = (count + capacity - 1) / capacity
        var lossSums = [Double](repeating: 0, count: batches), corrects = [Int](repeating: 0, count: batches)
        lossSums.withUnsafeMutableBufferPointer { losses in
            corrects.withUnsafeMutableBufferPointer { hits in
                let slots = BatchSlots(losses: losses.baseAddress!, hits: hits.baseAddress!)
                let run: (Int, Workspace) -> Void = { b, workspace in
                    let first = b * capacity, batch = min(capacity, count - first)
                    let logits = forward(inputs + first * width, batch: batch, parameters: parameters, workspace: workspace, from: start)
                    let result = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels + first, batch: batch, classes: classCount)
                    slots.losses[b] = result.lossSum
                    slots.hits[b] = result.correct
                }
                if parallel && batches > 1 {
                    let workers = min(batches, ProcessInfo.processInfo.activeProcessorCount)
                    let shared = UncheckedSendable(run)
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        let workspace = Workspace(layers: layers, capacity: capacity, withGradients: false)
                        for b in stride(from: w, to: batches, by: workers) { shared.value(b, workspace) }
                    }
                } else {
                    let workspace = Workspace(layers: layers, capacity: capacity, withGradients: false)
                    for b in 0..<batches { run(b, workspace) }
                }
            }
        }
        var lossSum = 0.0, correct = 0
        for b in 0..<batches {
            lossSum += lossSums[b]
            correct += corrects[b]
        }
        return Evaluation(accuracy: Double(correct) / Double(count), loss: lossSum / Double(count), count: count)
    }
}

/// Per-batch results of a parallel evaluation: every batch's slot is written by exactly one worker, read after the join.
private struct BatchSlots: @unchecked Sendable {
    let losses: UnsafeMutablePointer<Double>
    let hits: UnsafeMutablePointer<Int>
}

/// Hands a non-Sendable closure to concurrentPerform workers that only touch disjoint slots and shared read-only data.
