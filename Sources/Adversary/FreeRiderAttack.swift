import Options

/// `free-rider(mode=zero|stale)`: trains on nothing. `zero` returns the model unchanged; `stale` returns the last
/// global movement it saw (w_t − w_{t−1}), which looks like a plausible update (zero in the first round).
public final class FreeRiderAttack: UpdateStrategy {
    public let options: NamedOptions
    public let isAdversarial = true
    let mode: String

    public static let optionNames = ["mode"]

    public init(options: NamedOptions) throws(OptionsError) {
        try options.checkKeys(Self.optionNames)
        mode = try options.choice("mode", default: "zero", among: ["zero", "stale"])
        self.options = options
    }

    public func update(_ context: RoundContext) -> LocalUpdate {
        let current = context.task.parameters
        var delta = [Float](repeating: 0, count: current.count)
        if mode == "stale", let previous = context.history.last, previous.count == current.count {
            delta = UpdateVector.difference(current, previous)
        }
        return LocalUpdate(delta: delta, sampleCount: context.honestSampleCount, trainLoss: 0, report: [
            "attack": "free-rider", "mode": mode, "update_norm": Report.number(UpdateVector.norm(delta)),
        ])
    }
}
