import Foundation
import Learning
import Options
import Testing
import Wire
@testable import Adversary

/// The injection attacks (attribution-first and its ladder), their envelope, gradients and generator file.
struct InjectionAttackTests {
    static let spec = try! ModelSpec(parsing: "mlp:16")

    /// A non-IID shard: synthetic images of classes 0–5 only, so classes 6–9 are the ones it covers worst.
    static let shard: Dataset = {
        let data = SyntheticDataset.generate(count: 400, seed: 3)
        return data.subset(data.labels.indices.filter { data.labels[$0] < 6 })
    }()

    static let generator: VAE = {
        var vae = VAE(latent: 8, hidden: 32, seed: 1)
        _ = vae.train(on: SyntheticDataset.generate(count: 300, seed: 9), epochs: 3, batchSize: 50, learningRate: 3e-3, seed: 2)
        return vae
    }()

    static func context(round: UInt64 = 2, history: [[Float]]? = nil) -> RoundContext {
        let model = Model(spec: spec, seed: 11)
        let hp = Hyperparameters(epochs: 1, batchSize: 16, learningRate: 0.05, momentum: 0, weightDecay: 0, seed: 5)
        let task = TaskMessage(round: round, nonce: [UInt8](repeating: 1, count: 32), deadlineMillis: 1000,
                               hyperparameters: hp, spec: "{}", parameters: model.parameters)
        var rng = SeededGenerator(seed: 4)
        let previous = model.parameters.map { $0 + (2 * rng.uniformFloat() - 1) * 0.01 }
        return RoundContext(task: task, modelSpec: spec, shard: shard, clientIndex: 2, clientID: "client-2", history: history ?? [previous])
    }

    static func generatorFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gen-\(UUID().uuidString).safetensors").path
        try GeneratorFile.write(generator, metadata: ["source": "test"], to: path)
        return path
    }

    @Test func envelopeConstraintsHold() {
        var rng = SeededGenerator(seed: 7)
        for trial in 0..<20 {
            let honest = (0..<50).map { _ in Float(rng.normal()) }
            let injection = (0..<50).map { _ in Float(rng.normal()) * Float(1 + trial % 4) }
            let movement = zip(honest, (0..<50).map { _ in Float(rng.normal()) }).map { $0 + $1 }
            let envelope = UpdateEnvelope(normRatio: 1.1, minimumCosine: 0.85)
            let (delta, scale) = envelope.fit(honest: honest, injection: injection, movement: movement)
            #expect(scale >= 0 && scale <= 1)
            #expect(UpdateVector.cosine(delta, honest) >= 0.85 - 1e-6)
            #expect(UpdateVector.norm(delta) <= 1.1 * UpdateVector.norm(honest) * (1 + 1e-6))
            #expect(UpdateVector.cosine(delta, movement) >= UpdateVector.cosine(honest, movement) - 1e-6)
        }
        // An injection along the honest update is inside at full scale (then clipped to the norm bound).
        let honest: [Float] = [1, 2, 3]
        let inside = UpdateEnvelope(normRatio: 10, minimumCosine: 0.99).fit(honest: honest, injection: [0.5, 1, 1.5], movement: nil)
        #expect(inside.scale == 1 && inside.delta == [1.5, 3, 4.5])
        // An injection against it is cut to the largest scale that keeps the cosine.
        let against = UpdateEnvelope(normRatio: 10, minimumCosine: 0.9).fit(honest: honest, injection: [3, -2, 0], movement: nil)
        #expect(against.scale < 1 && against.scale > 0)
        #expect(abs(UpdateVector.cosine(against.delta, honest) - 0.9) < 1e-4)
        // fillsNorm: the same direction, scaled up to exactly the norm bound when the fitted update falls short of it.
        let shorter: [Float] = [0, -1, -2]   // honest + shorter = [1, 1, 1]: cosine 0.93, norm 1.73 < 3.74
        let unfilled = UpdateEnvelope(normRatio: 1, minimumCosine: 0.9).fit(honest: honest, injection: shorter, movement: nil)
        let filled = UpdateEnvelope(normRatio: 1, minimumCosine: 0.9, fillsNorm: true).fit(honest: honest, injection: shorter, movement: nil)
        #expect(unfilled.scale == 1 && filled.scale == 1)
        #expect(UpdateVector.norm(unfilled.delta) < 0.5 * UpdateVector.norm(honest))
        #expect(abs(UpdateVector.cosine(filled.delta, unfilled.delta) - 1) < 1e-6)
        #expect(abs(UpdateVector.norm(filled.delta) - UpdateVector.norm(honest)) < 1e-5)
    }

    /// The x-gradient of cos(∇θ L(θ; x, y), v) the latent search climbs, against finite differences.
    @Test func alignmentCosineGradient() {
        var model = Model(spec: .mlp(hidden: [6]), inputShape: [1, 3, 3], classCount: 4, seed: 21)
        var rng = SeededGenerator(seed: 22)
        model.parameters = model.parameters.map { $0 + (2 * rng.uniformFloat() - 1) * 0.1 }
        let x = (0..<18).map { _ in rng.uniformFloat() }
        let labels: [Int32] = [1, 3]
        let v = (0..<model.parameterCount).map { _ in Float(rng.normal()) }
        let (value, gradient) = InjectionAttack.alignmentCosine(model, x, labels: labels, direction: v)
        #expect(abs(value) <= 1)
        var numeric: [Double] = []
        var w = x
        for i in x.indices {
            w[i] = x[i] + 1e-3; let plus = InjectionAttack.alignmentCosine(model, w, labels: labels, direction: v).value
            w[i] = x[i] - 1e-3; let minus = InjectionAttack.alignmentCosine(model, w, labels: labels, direction: v).value
            w[i] = x[i]
            numeric.append((plus - minus) / 2e-3)
        }
        var diff = 0.0, scale = 0.0
        for (a, b) in zip(gradient.map(Double.init), numeric) { diff += (a - b) * (a - b); scale += a * a + b * b }
        #expect(diff.squareRoot() / scale.squareRoot() < 2e-2)
    }

    @Test(arguments: InjectionAttack.Source.allCases)
    func everyRungFollowsTheProtocolAndStaysInsideTheEnvelope(source: InjectionAttack.Source) throws {
        let generator = source == .optimizedLatents || source == .randomLatents ? ";generator=\(try Self.generatorFile())" : ""
        let attack = try StrategyRegistry.make("\(source.rawValue)(batch=12;steps=5;iterations=5;cosine=0.9;norm=1\(generator))")
        #expect(attack.isAdversarial && attack.name == source.rawValue)
        let c = Self.context()
        let u = try attack.update(c)
        let honest = HonestTraining().update(c).delta
        #expect(u.delta.count == honest.count && u.delta.allSatisfy(\.isFinite))
        #expect(u.sampleCount == c.honestSampleCount, "an attacker reports its true sample count")
        #expect(UpdateVector.cosine(u.delta, honest) >= 0.9 - 1e-6)
        #expect(UpdateVector.norm(u.delta) <= UpdateVector.norm(honest) * (1 + 1e-6))
        #expect(u.delta != honest, "something was injected")
        #expect(u.report["attack"] == source.rawValue)
        #expect(u.report["targets"] == "6|7|8|9", "the classes the shard lacks")
        #expect(u.report["batch"] == "12")
        if source == .duplicate {
            let duplicated = try #require(u.report["duplicated_labels"]).split(separator: "|").compactMap { Int($0) }
            #expect(duplicated.count == 4 && duplicated.allSatisfy { $0 < 6 }, "no target class held: its rarest held classes")
        }
    }

    /// The latent search raises the surrogate it optimises (only a little here: for classes the shard lacks, random
    /// decoded images already align well with the proxy gradient; docs/ATTACKS.md).
    @Test func latentOptimisationRaisesTheSurrogate() throws {
        let attack = try StrategyRegistry.make("attribution-first(batch=16;iterations=30;generator=\(try Self.generatorFile()))")
        let u = try attack.update(Self.context())
        let before = try #require(u.report["surrogate_before"].flatMap(Double.init))
        let after = try #require(u.report["surrogate_after"].flatMap(Double.init))
        #expect(after > before)
    }

    /// `movement=m` adds the last global movement to the injected change: the update turns toward it, still inside
    /// the envelope; without a previous global model there is nothing to add and nothing is said.
    @Test func movementTurnsTheUpdateTowardTheLastGlobalStepInsideTheEnvelope() throws {
        let c = Self.context()
        let movement = UpdateVector.difference(c.task.parameters, try #require(c.history.last))
        let honest = HonestTraining().update(c).delta
        func update(_ m: Double, _ context: RoundContext) throws -> LocalUpdate {
            try StrategyRegistry.make("label-noise(batch=12;steps=5;cosine=0.8;seed=3;movement=\(m))").update(context)
        }
        let plain = try update(0, c), moved = try update(1, c)
        #expect(plain.report["movement"] == nil && moved.report["movement"] == "1.0")
        #expect(UpdateVector.cosine(moved.delta, movement) > UpdateVector.cosine(plain.delta, movement) + 1e-3)
        #expect(UpdateVector.cosine(moved.delta, honest) >= 0.8 - 1e-6)
        #expect(UpdateVector.norm(moved.delta) <= UpdateVector.norm(honest) * (1 + 1e-6))
        #expect(try update(1, Self.context(history: [])).report["movement"] == nil)
        #expect(throws: OptionsError.self) { try StrategyRegistry.make("attribution-first(movement=-1)") }
    }

    @Test func withoutAGeneratorOneIsTrainedOnTheShardAndSaid() throws {
        let attack = try StrategyRegistry.make("random-latents(batch=8;steps=2;generator-epochs=1)")
        let first = try attack.update(Self.context())
        #expect(first.report["generator"] == "trained-on-shard")
        #expect(try attack.update(Self.context(round: 3)).report["generator"] == nil, "trained once, kept across rounds")
    }

    @Test func badOptionsAndFilesAreRefusedAtStartUp() throws {
        #expect(throws: OptionsError.self) { try StrategyRegistry.make("attribution-first(bogus=1)") }
        #expect(throws: OptionsError.self) { try StrategyRegistry.make("attribution-first(batch=0)") }
        #expect(throws: OptionsError.self) { try StrategyRegistry.make("label-noise(generator=x.safetensors)") }
        #expect(throws: GeneratorFileError.self) { try StrategyRegistry.make("attribution-first(generator=/nonexistent.safetensors)") }
        let path = try Self.generatorFile()
        #expect(try GeneratorFile.read(path).parameters == Self.generator.parameters)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.removeLast(4)
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(throws: GeneratorFileError.self) { try GeneratorFile.read(path) }
        try Data("not a safetensors file".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: GeneratorFileError.self) { try GeneratorFile.read(path) }
    }

    /// `targets` outside the data's classes passes start-up (the data is not known yet) and is refused by `check`
    /// and by the first `update`, before any generator is trained or batch built, naming the value and the range.
    @Test(arguments: InjectionAttack.Source.allCases)
    func targetsOutsideTheDatasetsClassesAreRefused(source: InjectionAttack.Source) throws {
        let attack = try StrategyRegistry.make("\(source.rawValue)(targets=3|10)")
        let expected = OptionsError.invalidValue(policy: source.rawValue, option: "targets", value: "3|10",
                                                 expected: "integers in 0...9 separated by | (the dataset has 10 classes; 10 is not one)")
        #expect(throws: expected) { try attack.check(featureCount: 784, classCount: 10) }
        #expect(throws: expected) { try attack.update(Self.context()) }
        #expect(expected.description.contains("targets=3|10 is out of range; expected integers in 0...9"))
        try attack.check(featureCount: 784, classCount: 11)
        #expect(throws: OptionsError.self, "an empty list is refused at start-up") { try StrategyRegistry.make("\(source.rawValue)(targets=|)") }
    }

    /// A generator file made for other images (pixels or classes) is refused against the data by `check` and by
    /// the first `update`, with the file and both shapes; one that fits passes.
    @Test func aGeneratorMadeForOtherImagesIsRefused() throws {
        for (pixels, classes) in [(100, 10), (785, 10), (784, 2), (784, 12)] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("gen-\(UUID().uuidString).safetensors").path
            try GeneratorFile.write(VAE(pixels: pixels, classes: classes, latent: 2, hidden: 4, seed: 1), to: path)
            let attack = try StrategyRegistry.make("attribution-first(generator=\(path))")
            let expected = GeneratorFileError(path: path, reason: "made for images of \(pixels) pixels in \(classes) classes; "
                                              + "this federation's images have 784 pixels in 10 classes")
            #expect(throws: expected) { try attack.check(featureCount: 784, classCount: 10) }
            #expect(throws: expected) { try attack.update(Self.context()) }
        }
        try StrategyRegistry.make("random-latents(generator=\(try Self.generatorFile()))").check(featureCount: 784, classCount: 10)
    }

    /// Sizes in a generator's metadata are counted, without overflow, against the tensor the file holds before a
    /// VAE is allocated: 2^20 each would need 7.7·10^12 parameters (30 TB) and is refused with both counts.
    @Test func generatorSizesAreCountedAgainstTheFileBeforeAnythingIsAllocated() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gen-\(UUID().uuidString).safetensors").path
        let huge = "\(1 << 20)"
        try SafeTensors.write([("parameters", [Float](repeating: 0.5, count: 10))],
                              metadata: ["format": "fedattr-cvae-1", "pixels": huge, "classes": huge, "latent": huge, "hidden": huge], to: path)
        let error = try #require(throws: GeneratorFileError.self) { try GeneratorFile.read(path) }
        #expect(error.reason == "the sizes pixels=1048576, classes=1048576, latent=1048576, hidden=1048576 need 7696586637312 parameters; "
                + "the 'parameters' tensor holds 10")
        #expect(VAE.parameterCount(pixels: 784, classes: 10, latent: 16, hidden: 256) == VAE(seed: 1).parameters.count)
        #expect(VAE.parameterCount(pixels: Int.max, classes: 1, latent: 1, hidden: 2) == nil)
        #expect(VAE(pixels: 1 << 20, classes: 1 << 20, latent: 1 << 20, hidden: 1 << 20, parameters: [1, 2, 3]) == nil)
    }
}
