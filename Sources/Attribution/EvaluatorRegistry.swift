/// Builds evaluators by name with numeric options (see docs/ATTRIBUTION.md for every option and default).
public enum EvaluatorRegistry {
    public static let names: [String] = ["marginal", "loo", "shapley-exact", "gtg-shapley", "mr-shapley", "banzhaf", "cosine", "large-coalition-shapley",
                                           "excess-clipped-shapley", "class-supported-shapley"]

    /// The option names each evaluator accepts.
    public static let optionNames: [String: [String]] = [
        "marginal": [],
        "loo": [],
        "shapley-exact": ["maxPlayers"],
        "gtg-shapley": ["epsilonBetween", "epsilonWithin", "convergenceTolerance", "convergenceWindow", "maxPermutations", "seed"],
        "mr-shapley": ["decay", "maxPlayers"],
        "banzhaf": ["exactLimit", "samples", "seed"],
        "cosine": [],
        "large-coalition-shapley": ["minFraction", "maxPlayers"],
        "excess-clipped-shapley": ["minFraction", "kappa", "maxPlayers"],
        "class-supported-shapley": ["blame", "blameFraction", "maxPlayers"],
    ]

    public static func make(_ name: String, options: [String: Double] = [:]) throws -> any Evaluator {
        guard let known = optionNames[name] else { throw AttributionError.unknownEvaluator(name: name, known: names) }
        let o = try EvaluatorOptions(evaluator: name, values: options, known: known)
        switch name {
        case "marginal":
            return MarginalEvaluator()
        case "loo":
            return LeaveOneOutEvaluator()
        case "shapley-exact":
            let limit = ExactShapleyEvaluator.playerLimit
            return ExactShapleyEvaluator(maxPlayers: try o.integer("maxPlayers", default: limit, range: 1...limit))
        case "gtg-shapley":
            var p = GTGShapleyEvaluator.Parameters()
            p.epsilonBetween = try o.double("epsilonBetween", default: p.epsilonBetween, range: 0...Double.greatestFiniteMagnitude)
            p.epsilonWithin = try o.double("epsilonWithin", default: p.epsilonWithin, range: 0...Double.greatestFiniteMagnitude)
            p.convergenceTolerance = try o.double("convergenceTolerance", default: p.convergenceTolerance, range: 0...Double.greatestFiniteMagnitude)
            p.convergenceWindow = try o.integer("convergenceWindow", default: p.convergenceWindow, range: 1...100_000)
            p.maxPermutations = try o.integer("maxPermutations", default: p.maxPermutations, range: 1...10_000_000)
            p.seed = try o.seed()
            return GTGShapleyEvaluator(parameters: p)
        case "mr-shapley":
            let limit = ExactShapleyEvaluator.playerLimit
            return MultiRoundShapleyEvaluator(
                decay: try o.double("decay", default: 1, range: 0...1),
                maxPlayers: try o.integer("maxPlayers", default: limit, range: 1...limit))
        case "banzhaf":
            return BanzhafEvaluator(
                exactLimit: try o.integer("exactLimit", default: 12, range: 0...BanzhafEvaluator.exactCeiling),
                samples: try o.integer("samples", default: 2000, range: 1...100_000_000),
                seed: try o.seed())
        case "large-coalition-shapley":
            let limit = ExactShapleyEvaluator.playerLimit
            return LargeCoalitionShapleyEvaluator(minFraction: try o.double("minFraction", default: 0.5, range: 0...1),
                                                  maxPlayers: try o.integer("maxPlayers", default: limit, range: 1...limit))
        case "excess-clipped-shapley":
            let limit = ExactShapleyEvaluator.playerLimit
            return ExcessClippedShapleyEvaluator(minFraction: try o.double("minFraction", default: 0.5, range: 0...1),
                                                 kappa: try o.double("kappa", default: 0, range: 0...1_000),
                                                 maxPlayers: try o.integer("maxPlayers", default: limit, range: 1...limit))
        case "class-supported-shapley":
            let limit = ExactShapleyEvaluator.playerLimit
            return ClassSupportedShapleyEvaluator(blame: try o.integer("blame", default: 1, range: 0...1) == 1,
                                                  blameFraction: try o.double("blameFraction", default: 0, range: 0...1),
                                                  maxPlayers: try o.integer("maxPlayers", default: limit, range: 1...limit))
        default:
            return CosineEvaluator()
        }
    }
}
