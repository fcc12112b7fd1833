import Foundation
import Learning
import Options

/// `noise-update(scale=1;seed=0)`: Gaussian noise in place of training, with `scale` times the norm of the honest
/// update this client would have sent; no useful direction at all (a positive control for the cosine detectors).
public final class NoiseUpdateAttack: UpdateStrategy {
    public let options: NamedOptions
    public let isAdversarial = true
    let scale: Double
    let seed: UInt64

    public static let optionNames = ["scale", "seed"]

    public init(options: NamedOptions) throws(OptionsError) {
        try options.checkKeys(Self.optionNames)
        scale = try options.double("scale", default: 1, range: 0...1_000_000)
        seed = try options.seed()
        self.options = options
    }

    public func update(_ context: RoundContext) -> LocalUpdate {
        let (honest, loss) = HonestTraining.train(context)
        var rng = SeededGenerator(seed: seed ^ context.task.round &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(context.clientIndex))
        var noise = [Float](repeating: 0, count: honest.count)
        for i in noise.indices {
            // Box–Muller; u1 in (0, 1] keeps the logarithm finite.
            let u1 = 1 - Double.random(in: 0..<1, using: &rng), u2 = Double.random(in: 0..<1, using: &rng)
            noise[i] = Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
        }
        let target = scale * UpdateVector.norm(honest)
        let n = UpdateVector.norm(noise)
        let delta = n > 0 ? UpdateVector.scaled(noise, by: Float(target / n)) : noise
        return LocalUpdate(delta: delta, sampleCount: context.honestSampleCount, trainLoss: loss, report: [
            "attack": "noise-update", "scale": "\(scale)", "honest_norm": Report.number(UpdateVector.norm(honest)),
            "update_norm": Report.number(UpdateVector.norm(delta)), "cosine_to_honest": Report.number(UpdateVector.cosine(delta, honest)),
        ])
    }
}
