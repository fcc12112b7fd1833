/// Local-training settings the coordinator hands to every client in a task.
public struct Hyperparameters: Sendable, Equatable {
    public var epochs: UInt32
    public var batchSize: UInt32
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var seed: UInt64

    public init(epochs: UInt32 = 1, batchSize: UInt32 = 32, learningRate: Float = 0.05,
                momentum: Float = 0, weightDecay: Float = 0, seed: UInt64 = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.seed = seed
    }
}
