import Options

/// Builds update strategies from `name` or `name(key=value;…)`: the `strategy` and `attack` settings.
public enum StrategyRegistry {
    /// Strategies any client may run without being an attacker.
    public static let baselines = ["honest", "unchanged"]
    /// Every attack `--attack` accepts, with its options.
    public static let attacks: [String: (optionNames: [String], make: @Sendable (NamedOptions) throws -> any UpdateStrategy)] = [
        "scale": (ScaleAttack.optionNames, { try ScaleAttack(options: $0) }),
        "sign-flip": (SignFlipAttack.optionNames, { try SignFlipAttack(options: $0) }),
        "noise-update": (NoiseUpdateAttack.optionNames, { try NoiseUpdateAttack(options: $0) }),
        "free-rider": (FreeRiderAttack.optionNames, { try FreeRiderAttack(options: $0) }),
        "attribution-first": (InjectionAttack.optionNames, { try InjectionAttack(source: .optimizedLatents, options: $0) }),
        "random-latents": (InjectionAttack.optionNames, { try InjectionAttack(source: .randomLatents, options: $0) }),
        "label-noise": (InjectionAttack.optionNames, { try InjectionAttack(source: .labelNoise, options: $0) }),
        "duplicate": (InjectionAttack.optionNames, { try InjectionAttack(source: .duplicate, options: $0) }),
    ]

    public static var attackNames: [String] { attacks.keys.sorted() }
    public static var names: [String] { baselines + attackNames }

    /// The strategy an item names; unknown names and options are refused with the valid ones.
    public static func make(_ item: String) throws -> any UpdateStrategy {
        try make(try NamedOptions(parsing: item))
    }

    public static func make(_ options: NamedOptions) throws -> any UpdateStrategy {
        switch options.name {
        case "honest":
            try options.checkKeys([])
            return HonestTraining()
        case "unchanged":
            try options.checkKeys([])
            return UnchangedModel()
        default:
            guard let entry = attacks[options.name] else { throw OptionsError.unknownName(name: options.name, known: names) }
            return try entry.make(options)
        }
    }
}
