import Options

/// `sign-flip(k=1)`: the honest update reversed (and scaled by k), pushing the model away from the client's data;
/// a positive control for the cosine detectors.
public final class SignFlipAttack: UpdateStrategy {
    public let options: NamedOptions
    public let isAdversarial = true
    let factor: Float

    public static let optionNames = ["k"]

    public init(options: NamedOptions) throws(OptionsError) {
        try options.checkKeys(Self.optionNames)
        factor = Float(try options.double("k", default: 1, range: 0...1000))
        self.options = options
    }

    public func update(_ context: RoundContext) -> LocalUpdate {
        let (honest, loss) = HonestTraining.train(context)
        let delta = UpdateVector.scaled(honest, by: -factor)
        return LocalUpdate(delta: delta, sampleCount: context.honestSampleCount, trainLoss: loss, report: [
            "attack": "sign-flip", "k": "\(factor)", "honest_norm": Report.number(UpdateVector.norm(honest)),
            "update_norm": Report.number(UpdateVector.norm(delta)),
        ])
    }
}
