/// A small conditional variational auto-encoder, the attacker's generator: encoder q(z | x, y) and decoder
/// p(x | z, y) are one-hidden-layer ReLU MLPs conditioned on the one-hot label; pixels are Bernoulli (sigmoid outputs,
/// binary cross-entropy), the prior is N(0, I). Trained with Adam on the reparameterised ELBO.
///
/// Parameter order: encoder dense(pixels+classes → hidden), dense(hidden → 2·latent) (means, then log-variances),
/// then decoder dense(latent+classes → hidden), dense(hidden → pixels); each dense layer W (row-major), then b.
public struct VAE: Sendable {
    public let pixels: Int
    public let classes: Int
    public let latent: Int
    public let hidden: Int
    public var parameters: [Float]
    let encoder: LayerStack
    let decoder: LayerStack

    public init(pixels: Int = 784, classes: Int = 10, latent: Int = 16, hidden: Int = 256, seed: UInt64) {
        precondition(pixels > 0 && classes > 0 && latent > 0 && hidden > 0, "VAE sizes must be positive")
        self.pixels = pixels
        self.classes = classes
        self.latent = latent
        self.hidden = hidden
        let encoder = LayerStack([Dense(inputs: pixels + classes, outputs: hidden, feedsReLU: true), ReLU(size: hidden),
                                  Dense(inputs: hidden, outputs: 2 * latent, feedsReLU: false)])
        let decoder = LayerStack([Dense(inputs: latent + classes, outputs: hidden, feedsReLU: true), ReLU(size: hidden),
                                  Dense(inputs: hidden, outputs: pixels, feedsReLU: false)])
        self.encoder = encoder
        self.decoder = decoder
        var rng = SeededGenerator(seed: seed)
        var p = [Float](repeating: 0, count: encoder.parameterCount + decoder.parameterCount)
        p.withUnsafeMutableBufferPointer { b in
            encoder.initialize(b.baseAddress!, rng: &rng)
            decoder.initialize(b.baseAddress! + encoder.parameterCount, rng: &rng)
        }
        parameters = p
    }

    /// A VAE with the given sizes and trained parameters; nil when the count does not fit the sizes (checked before
    /// anything is allocated) or a value is not finite.
    public init?(pixels: Int, classes: Int, latent: Int, hidden: Int, parameters: [Float]) {
        guard pixels > 0, classes > 0, latent > 0, hidden > 0,
              VAE.parameterCount(pixels: pixels, classes: classes, latent: latent, hidden: hidden) == parameters.count,
              parameters.allSatisfy(\.isFinite) else { return nil }
        self.init(pixels: pixels, classes: classes, latent: latent, hidden: hidden, seed: 0)
        self.parameters = parameters
    }

    /// How many parameters a VAE of these sizes has (layout above); nil when that overflows `Int`.
    public static func parameterCount(pixels: Int, classes: Int, latent: Int, hidden: Int) -> Int? {
        let (twiceLatent, overflow) = latent.multipliedReportingOverflow(by: 2)
        guard !overflow, let encoderInputs = checkedSum([pixels, classes]), let decoderInputs = checkedSum([latent, classes]) else { return nil }
        return checkedSum([Dense.parameterCount(inputs: encoderInputs, outputs: hidden),
                           Dense.parameterCount(inputs: hidden, outputs: twiceLatent),
                           Dense.parameterCount(inputs: decoderInputs, outputs: hidden),
                           Dense.parameterCount(inputs: hidden, outputs: pixels)])
    }

    /// Trains for `epochs` passes over `data` (seeded shuffles and noise); returns each epoch's mean loss per image
    /// (binary cross-entropy summed over pixels plus the KL term).
    public mutating func train(on data: Dataset, epochs: Int, batchSize: Int = 64, learningRate: Float = 1e-3, seed: UInt64) -> [Double] {
        precondition(data.featureCount == pixels && data.classCount == classes, "data does not match the VAE's sizes")
        guard data.count > 0 else { return [] }
        var rng = SeededGenerator(seed: seed)
        var adam = Adam(count: parameters.count, learningRate: learningRate)
        var order = Array(0..<data.count)
        var losses: [Double] = []
        for _ in 0..<epochs {
            rng.shuffle(&order)
            var sum = 0.0
            for first in stride(from: 0, to: data.count, by: batchSize) {
                let rows = Array(order[first..<min(first + batchSize, data.count)])
                var x = [Float](repeating: 0, count: rows.count * pixels)
                for (r, index) in rows.enumerated() {
                    for j in 0..<pixels { x[r * pixels + j] = data.features[index * pixels + j] }
                }
                let labels = rows.map { data.labels[$0] }
                let noise = (0..<(rows.count * latent)).map { _ in Float(rng.normal()) }
                let (loss, gradient) = lossAndGradient(x, labels: labels, noise: noise)
                sum += loss * Double(rows.count)
                adam.step(&parameters, gradient: gradient)
            }
            losses.append(sum / Double(data.count))
        }
        return losses
    }

    /// Mean negative ELBO per image of a batch with the given standard-normal noise, and its parameter gradient.
    func lossAndGradient(_ x: [Float], labels: [Int32], noise: [Float]) -> (loss: Double, gradient: [Float]) {
        let batch = labels.count
        let encoded = encoder.workspace(batch: batch, gradients: true), decoded = decoder.workspace(batch: batch, gradients: true)
        var gradient = [Float](repeating: 0, count: parameters.count)
        let input = withLabels(x, width: pixels, labels: labels)
        var z = [Float](repeating: 0, count: batch * (latent + classes))
        var loss = 0.0
        let scale = 1 / Float(batch)
        parameters.withUnsafeBufferPointer { p in gradient.withUnsafeMutableBufferPointer { g in
            let pe = p.baseAddress!, pd = p.baseAddress! + encoder.parameterCount
            let stats = input.withUnsafeBufferPointer { encoder.forward($0.baseAddress!, batch: batch, parameters: pe, workspace: encoded) }
            for r in 0..<batch {
                for j in 0..<latent {
                    let mu = stats[r * 2 * latent + j], logVariance = stats[r * 2 * latent + latent + j]
                    z[r * (latent + classes) + j] = mu + _expf(0.5 * logVariance) * noise[r * latent + j]
                    loss += Double(-0.5 * (1 + logVariance - mu * mu - _expf(logVariance)))
                }
                z[r * (latent + classes) + latent + Int(labels[r])] = 1
            }
            let logits = z.withUnsafeBufferPointer { decoder.forward($0.baseAddress!, batch: batch, parameters: pd, workspace: decoded) }
            let dLogits = decoded.gradients[decoder.layers.count - 1]
            for i in 0..<(batch * pixels) {
                let l = logits[i], target = x[i]
                loss += Double(max(l, 0) - l * target + _log1pexp(-abs(l)))
                dLogits[i] = (Sigmoid.value(l) - target) * scale
            }
            var dz = [Float](repeating: 0, count: batch * (latent + classes))
            z.withUnsafeBufferPointer { zb in dz.withUnsafeMutableBufferPointer { d in
                decoder.backward(zb.baseAddress!, batch: batch, parameters: pd, gradient: g.baseAddress! + encoder.parameterCount,
                                 workspace: decoded, inputGradient: d.baseAddress!)
            } }
            let dStats = encoded.gradients[encoder.layers.count - 1]
            for r in 0..<batch {
                for j in 0..<latent {
                    let mu = stats[r * 2 * latent + j], logVariance = stats[r * 2 * latent + latent + j]
                    let dzj = dz[r * (latent + classes) + j]
                    dStats[r * 2 * latent + j] = dzj + mu * scale
                    dStats[r * 2 * latent + latent + j] = dzj * noise[r * latent + j] * 0.5 * _expf(0.5 * logVariance)
                        + 0.5 * (_expf(logVariance) - 1) * scale
                }
            }
            input.withUnsafeBufferPointer { xb in
                encoder.backward(xb.baseAddress!, batch: batch, parameters: pe, gradient: g.baseAddress!, workspace: encoded)
            }
        } }
        return (loss / Double(batch), gradient)
    }

    /// Images (sigmoid pixel means) decoded from `latents` (latent values per row) with class `labels`.
    public func decode(_ latents: [Float], labels: [Int32]) -> [Float] {
        decodePass(latents, labels: labels).images
    }

    /// The gradient with respect to the latents of ⟨imageGradient, decode(latents, labels)⟩ (back-propagation
    /// through the sigmoid and the decoder to its input).
    public func latentGradient(_ latents: [Float], labels: [Int32], imageGradient: [Float]) -> [Float] {
        let batch = labels.count
        precondition(imageGradient.count == batch * pixels, "expected \(batch * pixels) image gradient values")
        let (images, input, workspace) = decodePass(latents, labels: labels)
        let dLogits = workspace.gradients[decoder.layers.count - 1]
        for i in 0..<(batch * pixels) { dLogits[i] = imageGradient[i] * images[i] * (1 - images[i]) }
        var dInput = [Float](repeating: 0, count: input.count)
        var unused = [Float](repeating: 0, count: decoder.parameterCount)
        parameters.withUnsafeBufferPointer { p in input.withUnsafeBufferPointer { xb in
            unused.withUnsafeMutableBufferPointer { g in dInput.withUnsafeMutableBufferPointer { d in
                decoder.backward(xb.baseAddress!, batch: batch, parameters: p.baseAddress! + encoder.parameterCount,
                                 gradient: g.baseAddress!, workspace: workspace, inputGradient: d.baseAddress!)
            } }
        } }
        var dz = [Float](repeating: 0, count: batch * latent)
        for r in 0..<batch { for j in 0..<latent { dz[r * latent + j] = dInput[r * (latent + classes) + j] } }
        return dz
    }

    /// Means of q(z | x, y) for each row of `x`.
    public func encodeMeans(_ x: [Float], labels: [Int32]) -> [Float] {
        let batch = labels.count
        precondition(x.count == batch * pixels, "expected \(batch) rows of \(pixels) pixels")
        let workspace = encoder.workspace(batch: batch, gradients: false)
        let input = withLabels(x, width: pixels, labels: labels)
        return parameters.withUnsafeBufferPointer { p in input.withUnsafeBufferPointer { xb in
            let stats = encoder.forward(xb.baseAddress!, batch: batch, parameters: p.baseAddress!, workspace: workspace)
            return (0..<(batch * latent)).map { stats[($0 / latent) * 2 * latent + $0 % latent] }
        } }
    }

    /// Mean binary cross-entropy per image of decoding the posterior means of `data` (no sampling): how well the
    /// VAE reconstructs.
    public func reconstructionLoss(on data: Dataset) -> Double {
        guard data.count > 0 else { return 0 }
        let images = decode(encodeMeans(data.features, labels: data.labels), labels: data.labels)
        var sum = 0.0
        for i in 0..<images.count {
            let y = Double(min(max(images[i], 1e-7), 1 - 1e-7)), t = Double(data.features[i])
            sum -= t * _log(y) + (1 - t) * _log(1 - y)
        }
        return sum / Double(data.count)
    }

    private func decodePass(_ latents: [Float], labels: [Int32]) -> (images: [Float], input: [Float], workspace: Workspace) {
        let batch = labels.count
        precondition(latents.count == batch * latent, "expected \(batch) rows of \(latent) latent values")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classes }, "labels must lie in 0..<\(classes)")
        let workspace = decoder.workspace(batch: batch, gradients: true)
        let input = withLabels(latents, width: latent, labels: labels)
        let images = parameters.withUnsafeBufferPointer { p in input.withUnsafeBufferPointer { xb in
            let logits = decoder.forward(xb.baseAddress!, batch: batch, parameters: p.baseAddress! + encoder.parameterCount, workspace: workspace)
            return (0..<(batch * pixels)).map { Sigmoid.value(logits[$0]) }
        } }
        return (images, input, workspace)
    }

    /// Rows of `width` values followed by the one-hot label.
    private func withLabels(_ x: [Float], width: Int, labels: [Int32]) -> [Float] {
        var out = [Float](repeating: 0, count: labels.count * (width + classes))
        for r in 0..<labels.count {
            for j in 0..<width { out[r * (width + classes) + j] = x[r * width + j] }
            out[r * (width + classes) + width + Int(labels[r])] = 1
        }
        return out
    }
}

/// log(1 + e^x) for x ≤ 0 without overflow.
@inline(__always) private func _log1pexp(_ x: Float) -> Float { Float(_log(1 + _exp(Double(x)))) }

/// A chain of layers over one slice of a flat parameter vector (the VAE's encoder and decoder).
struct LayerStack: Sendable {
    let layers: [any Layer]
    let offsets: [Int]

    init(_ layers: [any Layer]) {
        self.layers = layers
        var offsets = [0]
        for layer in layers { offsets.append(offsets.last! + layer.parameterCount) }
        self.offsets = offsets
    }

    var parameterCount: Int { offsets.last! }

    func initialize(_ parameters: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        for (i, layer) in layers.enumerated() { layer.initialize(parameters + offsets[i], rng: &rng) }
    }

    func workspace(batch: Int, gradients: Bool) -> Workspace { Workspace(layers: layers, capacity: batch, withGradients: gradients) }

    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, workspace: Workspace) -> UnsafeMutablePointer<Float> {
        var input = x
        for (i, layer) in layers.enumerated() {
            layer.forward(input, batch: batch, parameters: parameters + offsets[i], into: workspace.activations[i])
            input = UnsafePointer(workspace.activations[i])
        }
        return workspace.activations[layers.count - 1]
    }

    /// From dL/doutput in `workspace.gradients.last`: gradient ← dL/dparameters, and dL/dx into `inputGradient` when given.
    func backward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>,
                  workspace: Workspace, inputGradient: UnsafeMutablePointer<Float>? = nil) {
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            layers[i].backward(x: i == 0 ? x : UnsafePointer(workspace.activations[i - 1]), y: workspace.activations[i],
                               dy: workspace.gradients[i], batch: batch, parameters: parameters + offsets[i],
                               gradient: gradient + offsets[i], alpha: 1, beta: 0, dx: i == 0 ? inputGradient : workspace.gradients[i - 1])
        }
    }
}
