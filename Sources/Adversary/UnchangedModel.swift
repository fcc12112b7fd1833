import Options
/// Returns the global model unchanged (a zero update): measures the framework's own cost per round.
public final class UnchangedModel: UpdateStrategy {
    public let options = NamedOptions(name: "unchanged")
    public let isAdversarial = false

    public init() {}

    public func update(_ context: RoundContext) -> LocalUpdate {
        LocalUpdate(delta: [Float](repeating: 0, count: context.task.parameters.count),
                    sampleCount: context.honestSampleCount, trainLoss: 0)
    }
}
