import Learning
import Wire

/// How a client turns a round's task into its update; honest local training by default, an attack later.
public protocol UpdateStrategy: Sendable {
    /// The name logged at start-up.
    var name: String { get }
    /// The update (new parameters minus the global ones) for `task`, trained on `shard`.
    func update(task: TaskMessage, spec: FederationSpec, shard: Dataset, clientIndex: Int) -> LocalUpdate
}

/// A client's contribution to one round.
public struct LocalUpdate: Sendable {
    public var delta: [Float]
    public var sampleCount: Int
    public var trainLoss: Double

    public init(delta: [Float], sampleCount: Int, trainLoss: Double) {
        self.delta = delta
        self.sampleCount = sampleCount
        self.trainLoss = trainLoss
    }
}

/// Plain local SGD for the task's epochs, as every honest client does.
public struct HonestTraining: UpdateStrategy {
    public let name = "honest"

    public init() {}

    public func update(task: TaskMessage, spec: FederationSpec, shard: Dataset, clientIndex: Int) -> LocalUpdate {
        var model = Model(spec: spec.modelSpec, seed: 0)
        model.parameters = task.parameters
        let hp = task.hyperparameters
        let report = Trainer.train(&model, on: shard, epochs: Int(hp.epochs), batchSize: Int(hp.batchSize),
                                   optimizer: SGD(learningRate: hp.learningRate, momentum: hp.momentum, weightDecay: hp.weightDecay),
                                   seed: hp.seed &+ UInt64(clientIndex) &* 0x2545_F491)
        return LocalUpdate(delta: ParameterVector.difference(model.parameters, task.parameters),
                           sampleCount: hp.sampleCount(shardSize: shard.count), trainLoss: report.meanLoss)
    }
}

/// Returns the global model unchanged (a zero update): measures the framework's own cost per round.
public struct UnchangedModel: UpdateStrategy {
    public let name = "unchanged"

    public init() {}

    public func update(task: TaskMessage, spec: FederationSpec, shard: Dataset, clientIndex: Int) -> LocalUpdate {
        LocalUpdate(delta: [Float](repeating: 0, count: task.parameters.count),
                    sampleCount: task.hyperparameters.sampleCount(shardSize: shard.count), trainLoss: 0)
    }
}

extension Hyperparameters {
    /// The sample count an update for these hyperparameters reports: shard size × local epochs. The coordinator accepts
    /// no other (FedAvg weights are never self-reported; PROTOCOL.md §2.2).
    public func sampleCount(shardSize: Int) -> Int { shardSize * Int(epochs) }
}

/// Looks update strategies up by the name used in the `strategy` setting.
public enum UpdateStrategies {
    public static let names = ["honest", "unchanged"]

    public static func make(_ name: String) throws -> any UpdateStrategy {
        switch name {
        case "honest": return HonestTraining()
        case "unchanged": return UnchangedModel()
        default:
            throw FederationError.invalidSetting(key: "strategy", value: name, source: "strategy", expected: names.joined(separator: " or "))
        }
    }
}
