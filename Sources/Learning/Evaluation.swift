/// How a model does on a data set: fraction correct, mean cross-entropy loss, number of samples.
public struct Evaluation: Sendable, Equatable {
    public var accuracy: Double
    public var loss: Double
    public var count: Int

    public init(accuracy: Double, loss: Double, count: Int) {
        self.accuracy = accuracy
        self.loss = loss
        self.count = count
    }
}
