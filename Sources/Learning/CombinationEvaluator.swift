import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Evaluates models of the form base + Σ_i c_i · delta_i on a fixed dataset, fast (first-layer linearity trick); thread-safe.
///
/// The first layer's pre-activation is linear in its parameters (dense x·W + b, conv im2col(x)·W + b), so
/// layer1(x; base + Σ c_i δ_i) = layer1(x; base) + Σ c_i · layer1(x; δ_i). Both terms are computed once in `init`;
/// each call combines them with saxpy and runs only the remaining layers. Memory: (clients + 1) × samples × the
/// first layer's output width floats. Immutable after `init`; every call allocates its own buffers.
public final class CombinationEvaluator: @unchecked Sendable {
    let model: Model
    let base: [Float]
    let deltas: [[Float]]
    let labels: [Int32]
    let count: Int
    let width: Int           // first layer's output floats per sample
    private let firstLayerEnd: Int   // parameters of layer 0 are 0..<firstLayerEnd
    let baseOutput: [Float]
    let deltaOutputs: [[Float]]
    private static let chunk = 500

    /// `parallel`: compute the first-layer products of the base and the deltas side by side on all cores (when OpenBLAS
    /// runs one thread per call; with more BLAS threads each product is parallel by itself).
    public init(spec: ModelSpec, inputShape: [Int] = [1, 28, 28], classCount: Int = 10, base: [Float], deltas: [[Float]], data: Dataset,
                parallel: Bool = true) {
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
        let parameterSets = [base] + deltas
        let outputs = Slots(count: parameterSets.count, initial: [Float]())
        let sideBySide = parallel && BLASThreads.current <= 1
        if let dense = model.layers[0] as? Dense, parameterSets.count > 1, data.count > 0 {
            Self.joinedDenseProducts(dense, data: data, parameterSets: parameterSets, parallel: sideBySide, into: outputs)
        } else {
            let product: @Sendable (Int) -> Void = { i in outputs[i] = CombinationEvaluator.firstLayer(of: model, data: data, parameters: parameterSets[i]) }
            if sideBySide && parameterSets.count > 1 {
                DispatchQueue.concurrentPerform(iterations: parameterSets.count, execute: product)
            } else {
                for i in parameterSets.indices { product(i) }
            }
        }
        baseOutput = outputs[0]
        deltaOutputs = (1..<parameterSets.count).map { outputs[$0] }
    }

    /// The first-layer products of all P parameter sets of a dense first layer as one GEMM per chunk of `chunk` rows,
    /// X · [W_0 … W_{P−1}] (+ the biases), chunks side by side when `parallel`; then split into one [count × outputs]
    /// array per set. One wide product packs the images once for all sets and keeps both cores busy to the end (P
    /// separate products of 11 leave one core idle for one product's time); its rounding differs from the separate
    /// products' in the last bit for some elements. The row chunks are fixed, so the result does not depend on `parallel`.
    private static func joinedDenseProducts(_ layer: Dense, data: Dataset, parameterSets: [[Float]], parallel: Bool, into outputs: Slots<[Float]>) {
        let k = layer.inputs, h = layer.outputs, sets = parameterSets.count, width = h * sets, count = data.count
        let joined = UnsafeMutablePointer<Float>.allocate(capacity: k * width)   // k × width: row r holds row r of every W_j
        let biases = UnsafeMutablePointer<Float>.allocate(capacity: width)
        let product = UnsafeMutablePointer<Float>.allocate(capacity: count * width)
        defer { joined.deallocate(); biases.deallocate(); product.deallocate() }
        for (j, parameters) in parameterSets.enumerated() {
            parameters.withUnsafeBufferPointer { p in
                for r in 0..<k { (joined + r * width + j * h).initialize(from: p.baseAddress! + r * h, count: h) }
                (biases + j * h).initialize(from: p.baseAddress! + k * h, count: h)
            }
        }
        // Every worker writes only its own rows of `product`, or reads it for its own set.
        let shared = UncheckedSendable((joined: joined, biases: biases, product: product))
        let chunks = (count + chunk - 1) / chunk
        let multiply: @Sendable (Int) -> Void = { c in
            let first = c * chunk, rows = min(chunk, count - first)
            data.features.withUnsafeBufferPointer { x in
                BLAS.broadcastRows(shared.value.biases, m: rows, n: width, into: shared.value.product + first * width)
                BLAS.gemm(m: rows, n: width, k: k, x.baseAddress! + first * k, shared.value.joined, beta: 1, shared.value.product + first * width)
            }
        }
        let split: @Sendable (Int) -> Void = { j in
            outputs[j] = [Float](unsafeUninitializedCapacity: count * h) { buffer, initialized in
                for r in 0..<count { (buffer.baseAddress! + r * h).initialize(from: shared.value.product + r * width + j * h, count: h) }
                initialized = count * h
            }
        }
        if parallel {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: multiply)
            DispatchQueue.concurrentPerform(iterations: sets, execute: split)
        } else {
            for c in 0..<chunks { multiply(c) }
            for j in 0..<sets { split(j) }
        }
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
        let (firstOutput, parameters) = combined(coefficients)
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

    /// `evaluate(coefficients:).accuracy` without the loss: the same logits (same combination, same batches), the same
    /// argmax, no softmax or logarithm. What a sweep's near-tie subsets are re-evaluated with.
    func accuracy(coefficients: [Float]) -> Double {
        precondition(coefficients.count == deltas.count, "expected \(deltas.count) coefficients, got \(coefficients.count)")
        guard count > 0 else { return 0 }
        let (firstOutput, parameters) = combined(coefficients)
        let classes = model.classCount
        var correct = 0
        firstOutput.withUnsafeBufferPointer { z in
            parameters.withUnsafeBufferPointer { p in
                labels.withUnsafeBufferPointer { y in
                    if model.layers.count == 1 {
                        correct = SoftmaxCrossEntropy.correctCount(logits: z.baseAddress!, labels: y.baseAddress!, batch: count, classes: classes)
                        return
                    }
                    let step = min(Self.chunk, count)
                    let workspace = Workspace(layers: model.layers, capacity: step, withGradients: false)
                    for first in stride(from: 0, to: count, by: step) {
                        let batch = min(step, count - first)
                        let logits = model.forward(z.baseAddress! + first * width, batch: batch, parameters: p.baseAddress!,
                                                   workspace: workspace, from: 1)
                        correct += SoftmaxCrossEntropy.correctCount(logits: logits, labels: y.baseAddress! + first, batch: batch, classes: classes)
                    }
                }
            }
        }
        return Double(correct) / Double(count)
    }

    /// The first layer's output of base + Σ c_i·delta_i (base output plus one saxpy per non-zero coefficient) and the
    /// parameter vector whose part after the first layer is combined the same way (the first layer's part is the base's, unread).
    private func combined(_ coefficients: [Float]) -> (firstOutput: [Float], parameters: [Float]) {
        var firstOutput = baseOutput
        var parameters = base
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
        return (firstOutput, parameters)
    }

    private static func scoreLogits(_ z: UnsafePointer<Float>, labels: UnsafePointer<Int32>, count: Int, classes: Int) -> Evaluation {
        let result = SoftmaxCrossEntropy.evaluate(logits: z, labels: labels, batch: count, classes: classes)
        return Evaluation(accuracy: Double(result.correct) / Double(count), loss: result.lossSum / Double(count), count: count)
    }

    /// What a sweep reports per coalition.
    public enum Metric: Sendable {
        /// The fraction correct only: argmax of the logits, no softmax or logarithm.
        case accuracy
        /// The mean cross-entropy loss.
        case loss
    }

    /// Relative gap below which a row's top two logits count as a tie that float rounding could flip: an accuracy sweep
    /// re-evaluates such a subset with `evaluate(coefficients:)`, so its accuracies are exactly those of the per-call path.
    /// The two paths' logits were measured to differ by at most 7.7e-7 (relative to max(1, |top logit|)) on Fashion-MNIST
    /// with 10 clients; 3–4% of the subsets of such a round (MLP or CNN, 10 or 12 clients) have a row this close.
    static let tieMargin: Float = 2e-5
    /// Steps of ± updates after which a sweep rebuilds its running sums from scratch, bounding rounding drift.
    static let sweepRefreshInterval = 256
    /// Largest number of deltas a sweep accepts (2^N values are returned).
    public static let maxSweepDeltas = 24

    /// How `.automatic` sweeps run here for `members` deltas of first-layer width `hidden`, e.g. "blocks of 16 images, AVX-512".
    public static func blockedSweepDescription(members: Int, hidden: Int) -> String {
        "blocks of \(FusedCoalitionSweep.blockRows(members: members, hidden: hidden)) images, \(FusedCoalitionSweep.instructionSet())"
    }

    /// Which implementation a sweep uses.
    public enum SweepKernel: Sendable {
        /// The cache-blocked kernel (`FusedCoalitionSweep`) when the model is first layer → ReLU → dense, else Gray code.
        case automatic
        /// The Gray-code sweep over the whole data set at once, for any model (the only one before the blocked kernel).
        case grayCode
    }

    /// `metric` of base + (1/W_S) Σ_{i∈S} w_i·delta_i for every subset S (bit i = delta i), indexed by mask; index 0 is the base.
    ///
    /// W_S = Σ_{i∈S} w_i (weights ≥ 0; a subset with W_S = 0 evaluates the base). For models of the form first layer →
    /// ReLU → dense (the MLP with one hidden layer) `kernel: .automatic` runs the cache-blocked `FusedCoalitionSweep`
    /// (accuracies identical to `evaluate(coefficients:)`, losses equal up to float rounding, the same result for any
    /// `parallel`). Otherwise (and with `.grayCode`) subsets are visited in Gray-code order so
    /// the running sum T_S = Σ_{i∈S} w_i·layer1(x; delta_i) (kept in double) changes by one axpy per subset, then one pass
    /// forms base + T/W_S and the remaining layers run; T is rebuilt from scratch at the start of every chunk and every
    /// `sweepRefreshInterval` steps. Against `evaluate(coefficients:)` with c_i = w_i / W_S: accuracies are identical
    /// (near-ties are re-evaluated by that path, see `tieMargin`), losses agree up to float rounding (the sums are formed
    /// in another order). `parallel` splits the sequence into contiguous chunks run with `DispatchQueue.concurrentPerform`;
    /// each running chunk holds 3 × samples × the first layer's output width floats (T in double, the combined output).
    public func sweepWeightedMeans(weights: [Float], metric: Metric, parallel: Bool = true, kernel: SweepKernel = .automatic) -> [Double] {
        let n = deltas.count
        precondition(weights.count == n, "expected \(n) weights, got \(weights.count)")
        precondition(weights.allSatisfy { $0.isFinite && $0 >= 0 }, "weights must be finite and non-negative: \(weights)")
        precondition(n <= Self.maxSweepDeltas, "a sweep over \(n) deltas needs 2^\(n) evaluations; the limit is \(Self.maxSweepDeltas)")
        let total = 1 << n
        var values = [Double](repeating: 0, count: total)
        guard count > 0 else { return values }
        if kernel == .automatic && FusedCoalitionSweep.applies(to: model, members: n) {
            return fusedSweep(weights: weights, metric: metric, parallel: parallel)
        }
        let chunkCount = parallel ? max(1, min(total, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) * 4)) : 1
        let chunkSize = (total + chunkCount - 1) / chunkCount
        values.withUnsafeMutableBufferPointer { buffer in
            let out = ValueSlots(pointer: buffer.baseAddress!)
            // Chunk c covers Gray indices c·chunkSize ..< (c+1)·chunkSize; index 0 is the empty subset. Every mask is written once.
            let work: @Sendable (Int) -> Void = { chunk in
                let start = chunk * chunkSize, end = min(total, start + chunkSize)
                guard start < end else { return }
                let sweep = SweepState(self, weights: weights)
                var mask = start ^ (start >> 1)
                sweep.rebuild(mask: mask)
                out[mask] = sweep.value(mask: mask, metric: metric)
                for k in (start + 1)..<end {
                    let bit = k.trailingZeroBitCount
                    mask ^= 1 << bit
                    if (k - start) % Self.sweepRefreshInterval == 0 {
                        sweep.rebuild(mask: mask)
                        out[mask] = sweep.value(mask: mask, metric: metric)
                    } else {
                        out[mask] = sweep.value(mask: mask, metric: metric, member: bit, joins: mask & (1 << bit) != 0)
                    }
                }
            }
            if chunkCount > 1 {
                DispatchQueue.concurrentPerform(iterations: chunkCount, execute: work)
            } else {
                work(0)
            }
        }
        return values
    }

    /// The cache-blocked sweep (first layer → ReLU → dense models) with kernel variant `isa`; subsets with a near-tie
    /// row are re-evaluated by `evaluate(coefficients:)`, in parallel when `parallel`.
    func fusedSweep(weights: [Float], metric: Metric, parallel: Bool, isa: Int32 = FusedCoalitionSweep.bestISA) -> [Double] {
        let sweep = FusedCoalitionSweep(evaluator: self, isa: isa)
        let result = sweep.run(self, weights: weights, metric: metric, parallel: parallel)
        if metric == .loss { return result.losses.map { $0 / Double(count) } }
        var values = result.correct.map { Double($0) / Double(count) }
        let tied = result.tied.indices.filter { result.tied[$0] }
        guard !tied.isEmpty else { return values }
        let exact = Slots(count: tied.count, initial: 0.0)
        let reevaluate: @Sendable (Int) -> Void = { k in
            exact[k] = self.accuracy(coefficients: Self.meanCoefficients(mask: tied[k], weights: weights))
        }
        if parallel && tied.count > 1 {
            DispatchQueue.concurrentPerform(iterations: tied.count, execute: reevaluate)
        } else {
            for k in tied.indices { reevaluate(k) }
        }
        for (k, mask) in tied.enumerated() { values[mask] = exact[k] }
        return values
    }

    /// c_i = w_i / W_S for the members of `mask` (all zero when W_S = 0), as FedAvg's weighted mean forms them.
    static func meanCoefficients(mask: Int, weights: [Float]) -> [Float] {
        var total = 0.0
        for i in weights.indices where mask & (1 << i) != 0 { total += Double(weights[i]) }
        return weights.indices.map { i in mask & (1 << i) != 0 && total > 0 ? Float(Double(weights[i]) / total) : 0 }
    }

    /// Results filled from concurrentPerform workers: every slot is written by exactly one worker, read after the join.
    private final class Slots<Element>: @unchecked Sendable {
        private let slots: UnsafeMutablePointer<Element>
        private let count: Int

        init(count: Int, initial: Element) {
            self.count = count
            slots = .allocate(capacity: count)
            slots.initialize(repeating: initial, count: count)
        }

        deinit {
            slots.deinitialize(count: count)
            slots.deallocate()
        }

        subscript(index: Int) -> Element {
            get { slots[index] }
            set { slots[index] = newValue }
        }
    }

    /// The sweep's result slots, shared by its chunks: every mask is written by exactly one chunk, read after the join.
    private struct ValueSlots: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Double>
        subscript(mask: Int) -> Double {
            get { pointer[mask] }
            nonmutating set { pointer[mask] = newValue }
        }
    }

    /// One sweep chunk's buffers: the running sums of the first layer's outputs and of the later layers' parameters,
    /// the combined first-layer output, and a forward workspace. Owned by one thread.
    private final class SweepState {
        let evaluator: CombinationEvaluator
        let weights: [Float]
        let size: Int             // count × width
        let restCount: Int        // parameters after the first layer
        let fusesReLU: Bool       // layer 1 is a ReLU: applied in the combining pass, the forward starts at layer 2
        let sum: UnsafeMutablePointer<Double>       // in double: ± updates cancel without drift that the float result would see
        let combined: UnsafeMutablePointer<Float>
        let restSum: UnsafeMutablePointer<Double>
        let parameters: UnsafeMutablePointer<Float>   // only the part after the first layer is written and read
        let workspace: Workspace?

        init(_ evaluator: CombinationEvaluator, weights: [Float]) {
            self.evaluator = evaluator
            self.weights = weights
            let model = evaluator.model
            size = evaluator.count * evaluator.width
            restCount = evaluator.base.count - evaluator.firstLayerEnd
            fusesReLU = model.layers.count > 1 && model.layers[1] is ReLU
            sum = .allocate(capacity: size)
            combined = .allocate(capacity: size)
            restSum = .allocate(capacity: max(1, restCount))
            parameters = .allocate(capacity: evaluator.base.count)
            parameters.initialize(repeating: 0, count: evaluator.base.count)
            workspace = model.layers.count > 1
                ? Workspace(layers: model.layers, capacity: max(1, min(CombinationEvaluator.chunk, evaluator.count)), withGradients: false)
                : nil
        }

        deinit {
            sum.deallocate()
            combined.deallocate()
            restSum.deallocate()
            parameters.deallocate()
        }

        /// T = Σ_{i∈mask} w_i·(first-layer output of delta i), and the same for the later layers' parameters.
        func rebuild(mask: Int) {
            sum.update(repeating: 0, count: size)
            restSum.update(repeating: 0, count: max(1, restCount))
            for i in weights.indices where mask & (1 << i) != 0 { update(member: i, joins: true) }
        }

        /// T ± w_i·(member i's terms) in a pass of its own (used when rebuilding).
        func update(member i: Int, joins: Bool) {
            let w = weights[i]
            guard w != 0 else { return }
            let alpha = Double(joins ? w : -w)
            evaluator.deltaOutputs[i].withUnsafeBufferPointer { Self.accumulate(alpha, $0.baseAddress!, into: sum, count: size) }
            if restCount > 0 {
                let start = evaluator.firstLayerEnd
                evaluator.deltas[i].withUnsafeBufferPointer { Self.accumulate(alpha, $0.baseAddress! + start, into: restSum, count: restCount) }
            }
        }

        /// The metric of the model base + T / W_mask, after first applying T ± w_i·(member i's terms) when `member` is given.
        /// The update is fused into the combining pass, which runs one forward batch at a time so the batch stays in cache.
        func value(mask: Int, metric: Metric, member: Int? = nil, joins: Bool = true) -> Double {
            var total = 0.0
            for i in weights.indices where mask & (1 << i) != 0 { total += Double(weights[i]) }
            let scale = total > 0 ? 1 / total : 0
            let pending = member.flatMap { weights[$0] != 0 ? $0 : nil }
            let alpha = pending.map { Double(joins ? weights[$0] : -weights[$0]) } ?? 0
            if restCount > 0 {
                let start = evaluator.firstLayerEnd
                if let i = pending {
                    evaluator.deltas[i].withUnsafeBufferPointer { Self.accumulate(alpha, $0.baseAddress! + start, into: restSum, count: restCount) }
                }
                evaluator.base.withUnsafeBufferPointer { b in
                    Self.combine(b.baseAddress! + start, restSum, scale: scale, count: restCount, relu: false, into: parameters + start)
                }
            }
            let model = evaluator.model, count = evaluator.count, classes = model.classCount, width = evaluator.width
            let step = workspace?.capacity ?? count
            var lossSum = 0.0, correct = 0, tied = false
            for first in stride(from: 0, to: count, by: step) {
                let batch = min(step, count - first), offset = first * width
                evaluator.baseOutput.withUnsafeBufferPointer { b in
                    if let i = pending {
                        evaluator.deltaOutputs[i].withUnsafeBufferPointer { x in
                            Self.combine(b.baseAddress! + offset, sum + offset, adding: x.baseAddress! + offset, alpha: alpha,
                                         scale: scale, count: batch * width, relu: fusesReLU, into: combined + offset)
                        }
                    } else {
                        Self.combine(b.baseAddress! + offset, sum + offset, scale: scale, count: batch * width, relu: fusesReLU,
                                     into: combined + offset)
                    }
                }
                if tied { continue }   // the running sum must still be updated for the rest of the batches
                let logits = workspace.map {
                    model.forward(combined + offset, batch: batch, parameters: parameters, workspace: $0, from: fusesReLU ? 2 : 1)
                } ?? combined
                evaluator.labels.withUnsafeBufferPointer { y in
                    switch metric {
                    case .accuracy:
                        if let c = SoftmaxCrossEntropy.clearCorrectCount(logits: logits, labels: y.baseAddress! + first, batch: batch,
                                                                         classes: classes, margin: CombinationEvaluator.tieMargin) {
                            correct += c
                        } else {
                            tied = true
                        }
                    case .loss:
                        lossSum += SoftmaxCrossEntropy.evaluate(logits: logits, labels: y.baseAddress! + first, batch: batch, classes: classes).lossSum
                    }
                }
            }
            if tied { return exactAccuracy(mask: mask) }
            return metric == .accuracy ? Double(correct) / Double(count) : lossSum / Double(count)
        }

        /// The accuracy from `evaluate(coefficients:)` with c_i = w_i / W_S, the reference the sweep must reproduce.
        private func exactAccuracy(mask: Int) -> Double {
            evaluator.accuracy(coefficients: CombinationEvaluator.meanCoefficients(mask: mask, weights: weights))
        }

        /// sum += alpha·x. Plain loops here and in `combine`: the optimizer vectorizes them, and unlike SIMD types they
        /// stay fast in debug builds.
        private static func accumulate(_ alpha: Double, _ x: UnsafePointer<Float>, into sum: UnsafeMutablePointer<Double>, count: Int) {
            for i in 0..<count { sum[i] += alpha * Double(x[i]) }
        }

        /// sum += alpha·x, then out = base + scale·sum rounded once to float, then max(·, 0) when `relu`; one pass.
        private static func combine(_ base: UnsafePointer<Float>, _ sum: UnsafeMutablePointer<Double>, adding x: UnsafePointer<Float>,
                                    alpha: Double, scale: Double, count: Int, relu: Bool, into out: UnsafeMutablePointer<Float>) {
            if relu {
                for i in 0..<count {
                    let t = sum[i] + alpha * Double(x[i])
                    sum[i] = t
                    let v = Float(Double(base[i]) + t * scale)
                    out[i] = v < 0 ? 0 : v
                }
            } else {
                for i in 0..<count {
                    let t = sum[i] + alpha * Double(x[i])
                    sum[i] = t
                    out[i] = Float(Double(base[i]) + t * scale)
                }
            }
        }

        /// out = base + scale·sum rounded once to float, then max(·, 0) when `relu`; one pass.
        private static func combine(_ base: UnsafePointer<Float>, _ sum: UnsafePointer<Double>, scale: Double, count: Int, relu: Bool,
                                    into out: UnsafeMutablePointer<Float>) {
            if relu {
                for i in 0..<count {
                    let v = Float(Double(base[i]) + sum[i] * scale)
                    out[i] = v < 0 ? 0 : v
                }
            } else {
                for i in 0..<count { out[i] = Float(Double(base[i]) + sum[i] * scale) }
            }
        }
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
