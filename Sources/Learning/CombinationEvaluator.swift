/// Evaluates models of the form base + Σ_i c_i · delta_i on a fixed dataset, fast (first-layer linearity trick); thread-safe.
///
/// The first layer's pre-activation is linear in its parameters (dense x·W + b, conv im2col(x)·W + b), so
/// layer1(x; base + Σ c_i δ_i) = layer1(x; base) + Σ c_i · layer1(x; δ_i). Both terms are computed once in `init`;
/// each call combines them with saxpy and runs only the remaining layers. Memory: (clients + 1) × samples × the
/// first layer's output width floats. Immutable after `init`; every call allocates its own buffers.
public final class CombinationEvaluator: @unchecked Sendable {
    private let model: Model
    private let base: [Float]
    private let deltas: [[Float]]
    private let labels: [Int32]
    private let count: Int
    private let width: Int           // first layer's output floats per sample
    private let firstLayerEnd: Int   // parameters of layer 0 are 0..<firstLayerEnd
    private let baseOutput: [Float]
    private let deltaOutputs: [[Float]]
    private static let chunk = 500

    public init(spec: ModelSpec, inputShape: [Int] = [1, 28, 28], classCount: Int = 10, base: [Float], deltas: [[Float]], data: Dataset) {
        let model = Model(spec: spec, inputShape: inputShape, classCount: classCount, seed: 0)
        precondition(base.count == model.parameterCount, "base has \(base.count) parameters, \(spec) needs \(model.parameterCount)")
        precondition(deltas.allSatisfy { $0.count == model.parameterCount }, "every delta needs \(model.parameterCount) parameters")
        precondition(data.featureCount == model.inputSize, "data has \(data.featureCount) features, model expects \(model.inputSize)")
        self.model = model
        self.base = base
        self.deltas = deltas
        labels = data.labels
        count = data.count
        width = model.layers[0].outputSize
        firstLayerEnd = model.offsets[1]
        baseOutput = CombinationEvaluator.firstLayer(of: model, data: data, parameters: base)
        deltaOutputs = deltas.map { CombinationEvaluator.firstLayer(of: model, data: data, parameters: $0) }
    }

    /// layer1(x; parameters) for every sample, in chunks to bound im2col memory.
    private static func firstLayer(of model: Model, data: Dataset, parameters: [Float]) -> [Float] {
        let layer = model.layers[0], inputWidth = model.inputSize
        var output = [Float](repeating: 0, count: data.count * layer.outputSize)
        output.withUnsafeMutableBufferPointer { y in
            data.features.withUnsafeBufferPointer { x in
                parameters.withUnsafeBufferPointer { p in
                    for first in stride(from: 0, to: data.count, by: chunk) {
                        let batch = min(chunk, data.count - first)
                        layer.forward(x.baseAddress! + first * inputWidth, batch: batch, parameters: p.baseAddress!,
                                      into: y.baseAddress! + first * layer.outputSize)
                    }
                }
            }
        }
        return output
    }

    public func evaluate(coefficients: [Float]) -> Evaluation {
        precondition(coefficients.count == deltas.count, "expected \(deltas.count) coefficients, got \(coefficients.count)")
        guard count > 0 else { return Evaluation(accuracy: 0, loss: 0, count: 0) }
        var firstOutput = baseOutput
        var parameters = base      // only the part after the first layer is combined and read
        firstOutput.withUnsafeMutableBufferPointer { z in
            parameters.withUnsafeMutableBufferPointer { p in
                let rest = p.count - firstLayerEnd
                for (i, c) in coefficients.enumerated() where c != 0 {
                    deltaOutputs[i].withUnsafeBufferPointer { BLAS.axpy(z.count, c, $0.baseAddress!, z.baseAddress!) }
                    if rest > 0 {
                        deltas[i].withUnsafeBufferPointer { BLAS.axpy(rest, c, $0.baseAddress! + firstLayerEnd, p.baseAddress! + firstLayerEnd) }
                    }
                }
            }
        }
        return firstOutput.withUnsafeBufferPointer { z in
            parameters.withUnsafeBufferPointer { p in
                labels.withUnsafeBufferPointer { y in
                    if model.layers.count == 1 {
                        return Self.scoreLogits(z.baseAddress!, labels: y.baseAddress!, count: count, classes: model.classCount)
                    }
                    return model.evaluate(inputs: z.baseAddress, width: width, labels: y.baseAddress, count: count,
                                          parameters: p.baseAddress!, batchSize: Self.chunk, from: 1)
                }
            }
        }
    }

    private static func scoreLogits(_ z: UnsafePointer<Float>, labels: UnsafePointer<Int32>, count: Int, classes: Int) -> Evaluation {
        let result = SoftmaxCrossEntropy.evaluate(logits: z, labels: labels, batch: count, classes: classes)
        return Evaluation(accuracy: Double(result.correct) / Double(count), loss: result.lossSum / Double(count), count: count)
    }

    /// The straightforward path, for comparison: build base + Σ c_i·delta_i and run the full forward pass.
    public static func evaluateNaively(spec: ModelSpec, inputShape: [Int] = [1, 28, 28], classCount: Int = 10,
                                       base: [Float], deltas: [[Float]], coefficients: [Float], data: Dataset) -> Evaluation {
        precondition(coefficients.count == deltas.count, "expected \(deltas.count) coefficients, got \(coefficients.count)")
        var model = Model(spec: spec, inputShape: inputShape, classCount: classCount, seed: 0)
        var parameters = base
        parameters.withUnsafeMutableBufferPointer { p in
            for (delta, c) in zip(deltas, coefficients) {
                delta.withUnsafeBufferPointer { BLAS.axpy(p.count, c, $0.baseAddress!, p.baseAddress!) }
            }
        }
        model.parameters = parameters
        return model.evaluate(data)
    }
}
