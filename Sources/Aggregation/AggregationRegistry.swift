/// Looks aggregation rules up by the name used in configs.
public enum AggregationRegistry {
    /// Every rule name `make` accepts.
    public static let names = ["fedavg"]

    /// The rule called `name`.
    public static func make(_ name: String) throws(AggregationError) -> any AggregationRule {
        switch name {
        case "fedavg": return FedAvg()
        default: throw .unknownRule(name: name, known: names)
        }
    }
}

/// Why an aggregation rule could not be built.
public enum AggregationError: Error, CustomStringConvertible, Equatable {
    case unknownRule(name: String, known: [String])

    public var description: String {
        switch self {
        case let .unknownRule(name, known):
            return "unknown aggregation rule '\(name)'; known: \(known.joined(separator: ", "))"
        }
    }
}
