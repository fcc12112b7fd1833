import Options
import Learning

/// Plain local SGD for the task's epochs, as every honest client does.
public final class HonestTraining: UpdateStrategy {
    public let options = NamedOptions(name: "honest")
    public let isAdversarial = false

    public init() {}

    public func update(_ context: RoundContext) -> LocalUpdate {
        let (delta, loss) = Self.train(context)
        return LocalUpdate(delta: delta, sampleCount: context.honestSampleCount, trainLoss: loss)
    }

    /// The honest update and mean training loss for `context`; attacks start from it.
    public static func train(_ context: RoundContext, on data: Dataset? = nil) -> (delta: [Float], loss: Double) {
        var model = Model(spec: context.modelSpec, parameters: context.task.parameters)
        let hp = context.task.hyperparameters
        let report = Trainer.train(&model, on: data ?? context.shard, epochs: Int(hp.epochs), batchSize: Int(hp.batchSize),
                                   optimizer: SGD(learningRate: hp.learningRate, momentum: hp.momentum, weightDecay: hp.weightDecay),
                                   seed: context.trainingSeed)
        return (UpdateVector.difference(model.parameters, context.task.parameters), report.meanLoss)
    }
}
