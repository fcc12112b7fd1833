import Options

/// `scale(k=5)`: the honest update multiplied by k, the classic model-boosting attack; geometry detectors exist
/// to catch it (a positive control).
public final class ScaleAttack: UpdateStrategy {
    public let options: NamedOptions
    public let isAdversarial = true
    let factor: Float

    public static let optionNames = ["k"]

    public init(options: NamedOptions) throws(OptionsError) {
        try options.checkKeys(Self.optionNames)
        factor = Float(try options.double("k", default: 5, range: -1000...1000))
        self.options = options
    }

    public func update(_ context: RoundContext) -> LocalUpdate {
        let (honest, loss) = HonestTraining.train(context)
        let delta = UpdateVector.scaled(honest, by: factor)
        return LocalUpdate(delta: delta, sampleCount: context.honestSampleCount, trainLoss: loss, report: [
            "attack": "scale", "k": "\(factor)", "honest_norm": Report.number(UpdateVector.norm(honest)),
            "update_norm": Report.number(UpdateVector.norm(delta)),
        ])
    }
}
