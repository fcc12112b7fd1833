import Testing
@testable import Learning

/// What the generator and the attacker differentiate: sigmoid, input gradients, the mixed derivative
/// d/dx ⟨∇θ L(θ; x, y), v⟩, the VAE's ELBO and its decoder, each against central finite differences.
@Suite struct GeneratorGradientTests {
    @Test func sigmoidGradients() {
        var rng = SeededGenerator(seed: 21)
        let errors = GradientCheck.check(Sigmoid(size: 6), batch: 3, x: GradientCheck.random(18, &rng, scale: 4))
        #expect(errors.input < 1e-2)
        #expect(Sigmoid.value(0) == 0.5)
        #expect(Sigmoid.value(-100) >= 0 && Sigmoid.value(-100) < 1e-30 && Sigmoid.value(100) == 1)
    }

    /// Bias correction makes Adam's first step exactly lr · sign(g) (up to ε), whatever the gradient's scale,
    /// and Adam drives a badly scaled quadratic to its minimum.
    @Test func adamSteps() {
        var p: [Float] = [1, 1, 1]
        var adam = Adam(count: 3, learningRate: 0.1)
        adam.step(&p, gradient: [1e-3, -50, 0])
        #expect(abs(p[0] - 0.9) < 1e-5 && abs(p[1] - 1.1) < 1e-5 && p[2] == 1)
        var q: [Float] = [3, -2]
        var opt = Adam(count: 2, learningRate: 0.05)
        for _ in 0..<2000 { opt.step(&q, gradient: [2 * q[0], 200 * (q[1] - 1)]) }
        #expect(abs(q[0]) < 1e-2 && abs(q[1] - 1) < 1e-2)
        #expect(opt.steps == 2000)
    }

    static func perturbedModel(_ spec: String, seed: UInt64) throws -> Model {
        var model = Model(spec: try ModelSpec(parsing: spec), inputShape: [1, 4, 4], classCount: 4, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 1)
        model.parameters = model.parameters.map { $0 + (2 * rng.uniformFloat() - 1) * 0.1 }
        return model
    }

    @Test(arguments: ["logreg", "mlp:6,5"])
    func inputAndParameterGradients(spec: String) throws {
        let model = try Self.perturbedModel(spec, seed: 31)
        var rng = SeededGenerator(seed: 32)
        let x = (0..<(3 * 16)).map { _ in rng.uniformFloat() }
        let labels: [Int32] = [2, 0, 3]
        let (loss, gp, gx) = model.lossGradients(x, labels: labels)
        let evaluated = Dataset(features: x, labels: labels, featureShape: [1, 4, 4], classCount: 4)
        #expect(abs(loss - model.evaluate(evaluated).loss) < 1e-6)
        let numericX = GradientCheck.numeric(x, eps: 1e-3) { model.lossGradients($0, labels: labels).loss }
        #expect(GradientCheck.relativeError(gx.map(Double.init), numericX) < 1e-2)
        var m = model
        let numericP = GradientCheck.numeric(model.parameters, eps: 1e-3) { p in m.parameters = p; return m.lossGradients(x, labels: labels).loss }
        #expect(GradientCheck.relativeError(gp.map(Double.init), numericP) < 1e-2)
    }

    /// The value is ⟨∇θ L, v⟩ (checked against the parameter gradient) and its x-gradient matches finite
    /// differences of that value; a wrong direction gives a different gradient (the check can fail).
    @Test(arguments: ["logreg", "mlp:6,5", "mlp:7"])
    func mixedDerivative(spec: String) throws {
        let model = try Self.perturbedModel(spec, seed: 41)
        var rng = SeededGenerator(seed: 42)
        let x = (0..<(3 * 16)).map { _ in rng.uniformFloat() }
        let labels: [Int32] = [1, 1, 3]
        let v = GradientCheck.random(model.parameterCount, &rng)
        func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
        let (value, gx) = model.alignment(x, labels: labels, direction: v)
        #expect(abs(value - dot(model.lossGradients(x, labels: labels).parameters, v)) < 1e-4 * max(1, abs(value)))
        let numeric = GradientCheck.numeric(x, eps: 1e-3) { dot(model.lossGradients($0, labels: labels).parameters, v) }
        #expect(GradientCheck.relativeError(gx.map(Double.init), numeric) < 2e-2)
        let other = model.alignment(x, labels: labels, direction: v.map { -$0 * 0.5 + 0.01 }).inputGradient
        #expect(GradientCheck.relativeError(other.map(Double.init), numeric) > 1e-1)
    }

    static func tinyVAE() -> (VAE, [Float], [Int32], [Float]) {
        var vae = VAE(pixels: 6, classes: 3, latent: 2, hidden: 5, seed: 51)
        var rng = SeededGenerator(seed: 52)
        vae.parameters = vae.parameters.map { $0 + (2 * rng.uniformFloat() - 1) * 0.1 }
        let x = (0..<12).map { _ in rng.uniformFloat() }
        let labels: [Int32] = [2, 0]
        let noise = (0..<4).map { _ in Float(rng.normal()) }
        return (vae, x, labels, noise)
    }

    @Test func vaeParameterGradient() {
        let (vae, x, labels, noise) = Self.tinyVAE()
        let (_, gradient) = vae.lossAndGradient(x, labels: labels, noise: noise)
        var m = vae
        let numeric = GradientCheck.numeric(vae.parameters, eps: 1e-3) { p in m.parameters = p; return m.lossAndGradient(x, labels: labels, noise: noise).loss }
        #expect(GradientCheck.relativeError(gradient.map(Double.init), numeric) < 1e-2)
    }

    @Test func decoderLatentGradient() {
        let (vae, _, labels, latents) = Self.tinyVAE()
        var rng = SeededGenerator(seed: 53)
        let r = GradientCheck.random(12, &rng)
        let gz = vae.latentGradient(latents, labels: labels, imageGradient: r)
        let numeric = GradientCheck.numeric(latents, eps: 1e-3) { z in
            zip(vae.decode(z, labels: labels), r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        #expect(GradientCheck.relativeError(gz.map(Double.init), numeric) < 1e-2)
        #expect(vae.decode(latents, labels: labels).allSatisfy { $0 > 0 && $0 < 1 })
    }

    /// A few epochs on synthetic images: the ELBO and the reconstruction loss both fall, and a decoded image
    /// depends on its label.
    @Test func vaeLearns() {
        let data = SyntheticDataset.generate(count: 600, seed: 3)
        var vae = VAE(latent: 16, hidden: 64, seed: 4)
        let before = vae.reconstructionLoss(on: data)
        let losses = vae.train(on: data, epochs: 4, batchSize: 50, learningRate: 3e-3, seed: 5)
        let after = vae.reconstructionLoss(on: data)
        #expect(losses.count == 4 && losses.last! < losses.first!)
        #expect(after < 0.8 * before)
        let z = [Float](repeating: 0, count: 32)
        let images = vae.decode(z, labels: [0, 5])
        let distance = zip(images[0..<784], images[784...]).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) }
        #expect(distance > 10)
        #expect(VAE(pixels: 784, classes: 10, latent: 16, hidden: 64, parameters: vae.parameters) != nil)
        #expect(VAE(pixels: 784, classes: 10, latent: 16, hidden: 65, parameters: vae.parameters) == nil)
        #expect(VAE(pixels: 784, classes: 10, latent: 16, hidden: 64, parameters: vae.parameters.map { _ in .nan }) == nil)
    }
}
