import Learning
import Options

/// The attribution-inflation attacks of "On the Fragility of Data Attribution When Learning Is Distributed": train
/// honestly, then take a few SGD steps on a small injected batch with chosen labels, and send the result kept inside
/// the honest envelope (norm and direction). One class, four names that differ only in where the batch comes from:
/// - `attribution-first`: x = G(z) decoded by the generator, z optimised so that the batch's training gradient
///   points where a class-balanced proxy of the coordinator's utility improves (the paper's attack);
/// - `random-latents`: x = G(z) for z ~ N(0, I), no optimisation;
/// - `label-noise`: uniform-noise images;
/// - `duplicate`: real images of the target classes from the attacker's own shard.
/// Same target labels, same step, same envelope for all four, so they show how much needs latent optimisation.
/// Mutable state (the generator, the round count) is touched only from the client's one strategy thread.
public final class InjectionAttack: UpdateStrategy, @unchecked Sendable {
    public enum Source: String, Sendable, CaseIterable {
        case optimizedLatents = "attribution-first"
        case randomLatents = "random-latents"
        case labelNoise = "label-noise"
        case duplicate
    }

    public static let optionNames = ["generator", "batch", "steps", "lr", "classes", "targets", "iterations", "latent-lr",
                                     "prior", "proxy", "norm", "cosine", "seed", "generator-epochs", "movement", "fill"]

    public let options: NamedOptions
    public let isAdversarial = true
    public let source: Source
    let batchSize: Int
    let steps: Int
    let learningRateScale: Float
    let targetCount: Int
    let fixedTargets: [Int32]?
    let iterations: Int
    let latentLearningRate: Float
    let prior: Float
    let proxyPerClass: Int
    let envelope: UpdateEnvelope
    let seed: UInt64
    let generatorEpochs: Int
    /// Weight of the last global movement w_t − w_{t−1} (rescaled to the honest update's norm) added to the injected
    /// change before the envelope: a step every coalition benefits from, not only the full one.
    let movementWeight: Float
    /// The generator: loaded at start-up from `generator=PATH`, or trained on the shard in the first round.
    private(set) var generator: VAE?
    private var round = 0

    public init(source: Source, options: NamedOptions) throws {
        try options.checkKeys(Self.optionNames)
        self.source = source
        batchSize = try options.integer("batch", default: 32, range: 1...4096)
        steps = try options.integer("steps", default: 20, range: 1...10_000)
        learningRateScale = Float(try options.double("lr", default: 1, range: 0...100))
        targetCount = try options.integer("classes", default: 4, range: 1...1000)
        fixedTargets = try options.integers("targets", range: 0...999)?.map(Int32.init)
        if fixedTargets?.isEmpty == true {
            throw OptionsError.invalidValue(policy: source.rawValue, option: "targets", value: options.string("targets") ?? "",
                                            expected: "one or more integers in 0...999 separated by |")
        }
        iterations = try options.integer("iterations", default: 40, range: 0...10_000)
        latentLearningRate = Float(try options.double("latent-lr", default: 0.05, range: 0...10))
        prior = Float(try options.double("prior", default: 0.05, range: 0...100))
        proxyPerClass = try options.integer("proxy", default: 16, range: 1...10_000)
        envelope = UpdateEnvelope(normRatio: try options.double("norm", default: 1, range: 0...100),
                                  minimumCosine: try options.double("cosine", default: 0.8, range: -1...1),
                                  fillsNorm: try options.bool("fill", default: false))
        seed = try options.seed()
        generatorEpochs = try options.integer("generator-epochs", default: 10, range: 1...1000)
        movementWeight = Float(try options.double("movement", default: 0, range: 0...10))
        if let path = options.string("generator") {
            guard source == .optimizedLatents || source == .randomLatents else {
                throw OptionsError.invalidValue(policy: source.rawValue, option: "generator", value: path,
                                                expected: "no generator (only attribution-first and random-latents decode latents)")
            }
            generator = try GeneratorFile.read(path)
        }
        self.options = options
    }

    var needsGenerator: Bool { source == .optimizedLatents || source == .randomLatents }

    /// Every target class must be one of the data's classes, and a loaded generator must decode images of the data's
    /// size in its classes: else the batch would hold labels or pixels the model cannot take.
    public func check(featureCount: Int, classCount: Int) throws {
        if let targets = fixedTargets, let bad = targets.first(where: { Int($0) >= classCount }) {
            throw OptionsError.invalidValue(policy: source.rawValue, option: "targets", value: options.string("targets") ?? "\(bad)",
                                            expected: "integers in 0...\(classCount - 1) separated by | (the dataset has \(classCount) classes; \(bad) is not one)")
        }
        if let path = options.string("generator"), let vae = generator, vae.pixels != featureCount || vae.classes != classCount {
            throw GeneratorFileError(path: path, reason: "made for images of \(vae.pixels) pixels in \(vae.classes) classes; "
                                     + "this federation's images have \(featureCount) pixels in \(classCount) classes")
        }
    }

    public func update(_ context: RoundContext) throws -> LocalUpdate {
        try check(featureCount: context.shard.featureCount, classCount: context.shard.classCount)
        round += 1
        var report: [String: String] = ["attack": source.rawValue, "round": "\(round)"]
        let hp = context.task.hyperparameters
        var rng = SeededGenerator(seed: seed &+ context.task.round &* 0x9E37_79B9 &+ UInt64(context.clientIndex))
        if needsGenerator, generator == nil {
            var vae = VAE(pixels: context.shard.featureCount, classes: context.shard.classCount, seed: seed &+ 17)
            let losses = vae.train(on: context.shard, epochs: generatorEpochs, seed: seed &+ 18)
            generator = vae
            report["generator"] = "trained-on-shard"
            report["generator_loss"] = Report.number(losses.last ?? .nan)
        }
        let (honest, loss) = HonestTraining.train(context)
        let honestModel = Model(spec: context.modelSpec, inputShape: context.shard.featureShape, classCount: context.shard.classCount,
                                parameters: zip(context.task.parameters, honest).map { $0 + $1 })

        let targets = fixedTargets ?? Self.rarestClasses(context.shard, count: targetCount)
        let labels = (0..<batchSize).map { targets[$0 % targets.count] }
        report["targets"] = targets.map(String.init).joined(separator: "|")
        report["batch"] = "\(batchSize)"

        var images: [Float]
        var batchLabels = labels
        switch source {
        case .labelNoise:
            images = (0..<(batchSize * context.shard.featureCount)).map { _ in rng.uniformFloat() }
        case .duplicate:
            (images, batchLabels) = Self.realImages(context.shard, targets: targets, count: batchSize, rng: &rng)
            report["duplicated_labels"] = Set(batchLabels).sorted().map(String.init).joined(separator: "|")
        case .randomLatents, .optimizedLatents:
            let vae = generator!
            var z = (0..<(batchSize * vae.latent)).map { _ in Float(rng.normal()) }
            if source == .optimizedLatents {
                let proxy = proxySet(context.shard, generator: vae, rng: &rng)
                let v = honestModel.lossGradients(proxy.features, labels: proxy.labels).parameters
                let before = Self.alignmentCosine(honestModel, vae.decode(z, labels: labels), labels: labels, direction: v).value
                z = optimizeLatents(z, labels: labels, model: honestModel, generator: vae, direction: v)
                let after = Self.alignmentCosine(honestModel, vae.decode(z, labels: labels), labels: labels, direction: v).value
                report["surrogate_before"] = Report.number(before)
                report["surrogate_after"] = Report.number(after)
            }
            images = vae.decode(z, labels: labels)
        }

        let injected = Dataset(features: images, labels: batchLabels, featureShape: context.shard.featureShape, classCount: context.shard.classCount)
        var attacked = honestModel
        _ = Trainer.train(&attacked, on: injected, epochs: steps, batchSize: batchSize,
                          optimizer: SGD(learningRate: hp.learningRate * learningRateScale), seed: rng.next())
        var injection = UpdateVector.difference(attacked.parameters, honestModel.parameters)
        let movement = context.history.last.flatMap { $0.count == honest.count ? UpdateVector.difference(context.task.parameters, $0) : nil }
        if movementWeight > 0, let movement, case let m = UpdateVector.norm(movement), m > 0 {
            let k = movementWeight * Float(UpdateVector.norm(honest) / m)
            injection = zip(injection, movement).map { $0 + k * $1 }
            report["movement"] = Report.number(Double(movementWeight))
        }
        let fitted = envelope.fit(honest: honest, injection: injection, movement: movement)

        if source == .optimizedLatents || source == .randomLatents, let vae = generator {
            let proxy = proxySet(context.shard, generator: vae, rng: &rng)
            var final = honestModel
            final.parameters = zip(context.task.parameters, fitted.delta).map { $0 + $1 }
            report["proxy_acc_honest"] = Report.number(honestModel.evaluate(proxy).accuracy)
            report["proxy_acc_attack"] = Report.number(final.evaluate(proxy).accuracy)
        }
        report["injection_scale"] = Report.number(fitted.scale)
        report["honest_norm"] = Report.number(UpdateVector.norm(honest))
        report["update_norm"] = Report.number(UpdateVector.norm(fitted.delta))
        report["cosine_honest"] = Report.number(UpdateVector.cosine(fitted.delta, honest))
        if let movement {
            report["cosine_movement"] = Report.number(UpdateVector.cosine(fitted.delta, movement))
            report["cosine_movement_honest"] = Report.number(UpdateVector.cosine(honest, movement))
        }
        return LocalUpdate(delta: fitted.delta, sampleCount: context.honestSampleCount, trainLoss: loss, report: report)
    }

    /// Classes with the fewest samples in the shard (ties by class index): what the attacker's honest update covers worst.
    static func rarestClasses(_ shard: Dataset, count: Int) -> [Int32] {
        let histogram = shard.labelHistogram()
        let order = histogram.indices.sorted { (histogram[$0], $0) < (histogram[$1], $1) }
        return order.prefix(max(1, min(count, order.count))).map(Int32.init)
    }

    /// `count` real images of the target classes drawn from the shard (with replacement); when the shard holds
    /// none of them, its rarest classes that it does hold.
    static func realImages(_ shard: Dataset, targets: [Int32], count: Int, rng: inout SeededGenerator) -> ([Float], [Int32]) {
        var pool = shard.labels.indices.filter { targets.contains(shard.labels[$0]) }
        if pool.isEmpty {
            let histogram = shard.labelHistogram()
            let held = histogram.indices.filter { histogram[$0] > 0 }.sorted { (histogram[$0], $0) < (histogram[$1], $1) }
            let fallback = Set(held.prefix(targets.count).map(Int32.init))
            pool = shard.labels.indices.filter { fallback.contains(shard.labels[$0]) }
        }
        let picked = (0..<count).map { _ in pool[rng.index(below: pool.count)] }
        let subset = shard.subset(picked)
        return (subset.features, subset.labels)
    }

    /// A class-balanced stand-in for the coordinator's validation set: up to `proxy` shard images per class, the
    /// rest of each class decoded from random latents.
    func proxySet(_ shard: Dataset, generator vae: VAE, rng: inout SeededGenerator) -> Dataset {
        var rows: [Int] = []
        var missingLabels: [Int32] = []
        for c in 0..<shard.classCount {
            let members = shard.labels.indices.filter { Int(shard.labels[$0]) == c }
            let taken = members.isEmpty ? [] : (0..<min(proxyPerClass, members.count)).map { _ in members[rng.index(below: members.count)] }
            rows += taken
            missingLabels += [Int32](repeating: Int32(c), count: proxyPerClass - taken.count)
        }
        let real = shard.subset(rows)
        guard !missingLabels.isEmpty else { return real }
        let z = (0..<(missingLabels.count * vae.latent)).map { _ in Float(rng.normal()) }
        return Dataset(features: real.features + vae.decode(z, labels: missingLabels), labels: real.labels + missingLabels,
                       featureShape: shard.featureShape, classCount: shard.classCount)
    }

    /// Adam ascent on cos(∇θ L(θ; G(z), y), v) − prior·‖z‖²/(2·batch), through the mixed derivative and the decoder.
    func optimizeLatents(_ start: [Float], labels: [Int32], model: Model, generator vae: VAE, direction v: [Float]) -> [Float] {
        var z = start
        var adam = Adam(count: z.count, learningRate: latentLearningRate)
        let scale = prior / Float(labels.count)
        for _ in 0..<iterations {
            let x = vae.decode(z, labels: labels)
            let imageGradient = Self.alignmentCosine(model, x, labels: labels, direction: v).gradient
            let gz = vae.latentGradient(z, labels: labels, imageGradient: imageGradient)
            let descent = zip(gz, z).map { -$0 + scale * $1 }          // minimise −objective
            adam.step(&z, gradient: descent)
        }
        return z
    }

    /// cos(g(x), v) with g(x) = ∇θ L(θ; x, y), and its gradient in x: with f = ⟨g, v⟩ and n = ‖g‖,
    /// ∇x cos = ∇x f / (‖v‖ n) − f ∇x(n²/2) / (‖v‖ n³), where ∇x(n²/2) is the mixed derivative along g itself.
    static func alignmentCosine(_ model: Model, _ x: [Float], labels: [Int32], direction v: [Float]) -> (value: Double, gradient: [Float]) {
        let g = model.lossGradients(x, labels: labels).parameters
        let n = UpdateVector.norm(g), nv = UpdateVector.norm(v)
        guard n > 0, nv > 0 else { return (0, [Float](repeating: 0, count: x.count)) }
        let (f, df) = model.alignment(x, labels: labels, direction: v)
        let (_, dn) = model.alignment(x, labels: labels, direction: g)
        let a = 1 / (nv * n), b = f / (nv * n * n * n)
        return (f * a, zip(df, dn).map { Float(a * Double($0) - b * Double($1)) })
    }
}
