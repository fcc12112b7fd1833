import Learning
import Options
import Testing
import Wire
@testable import Adversary

/// The honest baseline, the overhead baseline and the ladder attacks, each against what it must compute.
struct StrategyTests {
    static let spec = try! ModelSpec(parsing: "mlp:8")

    static func context(round: UInt64 = 1, history: [[Float]] = [], clientIndex: Int = 1) -> RoundContext {
        let data = SyntheticDataset.generate(count: 120, seed: 3)
        let model = Model(spec: spec, seed: 11)
        let hp = Hyperparameters(epochs: 2, batchSize: 16, learningRate: 0.05, momentum: 0, weightDecay: 0, seed: 5)
        let task = TaskMessage(round: round, nonce: [UInt8](repeating: 1, count: 32), deadlineMillis: 1000,
                               hyperparameters: hp, spec: "{}", parameters: model.parameters)
        return RoundContext(task: task, modelSpec: spec, shard: data, clientIndex: clientIndex, clientID: "client-\(clientIndex)",
                            history: history)
    }

    @Test func honestTrainingIsLocalSGDFromTheGlobalModelAndReportsShardTimesEpochs() throws {
        let c = Self.context()
        let u = HonestTraining().update(c)
        #expect(u.sampleCount == 240)
        #expect(u.report.isEmpty)
        var model = Model(spec: Self.spec, seed: 0)
        model.parameters = c.task.parameters
        _ = Trainer.train(&model, on: c.shard, epochs: 2, batchSize: 16, optimizer: SGD(learningRate: 0.05, momentum: 0, weightDecay: 0),
                          seed: 5 &+ 1 &* 0x2545_F491)
        let expected = zip(model.parameters, c.task.parameters).map { $0 - $1 }
        #expect(u.delta == expected)
        #expect(UpdateVector.norm(u.delta) > 0)
        #expect(HonestTraining().update(Self.context(clientIndex: 2)).delta != u.delta, "each client shuffles with its own seed")
    }

    @Test func unchangedReturnsAZeroUpdateWithTheTrueSampleCount() {
        let u = UnchangedModel().update(Self.context())
        #expect(u.delta.allSatisfy { $0 == 0 } && u.delta.count == Self.context().task.parameters.count)
        #expect(u.sampleCount == 240)
    }

    @Test func scaleAndSignFlipMultiplyTheHonestUpdate() throws {
        let c = Self.context()
        let honest = HonestTraining().update(c).delta
        let scaled = try StrategyRegistry.make("scale(k=4)").update(c)
        #expect(scaled.delta == honest.map { $0 * 4 })
        #expect(scaled.sampleCount == 240, "an attacker reports its true sample count")
        #expect(scaled.report["attack"] == "scale")
        let flipped = try StrategyRegistry.make("sign-flip").update(c)
        #expect(flipped.delta == honest.map { -$0 })
        #expect(try StrategyRegistry.make("scale").options.name == "scale")
    }

    @Test func noiseUpdateHasTheHonestNormAndNoHonestDirection() throws {
        let c = Self.context()
        let honest = HonestTraining().update(c).delta
        let noise = try StrategyRegistry.make("noise-update(scale=2;seed=9)").update(c).delta
        #expect(abs(UpdateVector.norm(noise) / UpdateVector.norm(honest) - 2) < 1e-4)
        #expect(abs(UpdateVector.cosine(noise, honest)) < 0.1)
        #expect(try StrategyRegistry.make("noise-update(scale=2;seed=9)").update(c).delta == noise, "seeded")
        #expect(try StrategyRegistry.make("noise-update(scale=2;seed=10)").update(c).delta != noise)
    }

    @Test func freeRiderSendsNothingOrTheLastGlobalMovement() throws {
        let now = Self.context().task.parameters
        let before = now.map { $0 - 0.5 }
        let zero = try StrategyRegistry.make("free-rider").update(Self.context(round: 2, history: [before]))
        #expect(zero.delta.allSatisfy { $0 == 0 } && zero.sampleCount == 240)
        let stale = try StrategyRegistry.make("free-rider(mode=stale)").update(Self.context(round: 2, history: [before]))
        #expect(stale.delta == zip(now, before).map { $0 - $1 })
        let first = try StrategyRegistry.make("free-rider(mode=stale)").update(Self.context(round: 1))
        #expect(first.delta.allSatisfy { $0 == 0 }, "nothing seen yet: a zero update")
    }

    @Test func theRegistryRefusesUnknownNamesAndOptionsWithTheValidOnes() {
        #expect(throws: OptionsError.unknownName(name: "boost", known: StrategyRegistry.names)) { try StrategyRegistry.make("boost") }
        #expect(throws: OptionsError.unknownOption(policy: "scale", option: "factor", known: ["k"])) {
            try StrategyRegistry.make("scale(factor=3)")
        }
        #expect(throws: OptionsError.self) { try StrategyRegistry.make("free-rider(mode=sometimes)") }
        #expect(throws: OptionsError.self) { try StrategyRegistry.make("honest(k=1)") }
        #expect(!HonestTraining().isAdversarial && !UnchangedModel().isAdversarial)
        for name in StrategyRegistry.attackNames {
            #expect((try? StrategyRegistry.make(name))?.isAdversarial == true, "\(name) is an attack")
        }
    }
}
