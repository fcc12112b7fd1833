/// Which architecture a `Model` has: logistic regression, a ReLU MLP with given hidden sizes, or a small LeNet-style CNN.
public enum ModelSpec: Sendable, Equatable, Codable, CustomStringConvertible {
    case logreg
    case mlp(hidden: [Int])
    case cnn

    public static let defaultHidden = [128]

    /// Parses "logreg", "mlp" (hidden [128]), "mlp:256,128" or "cnn".
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        switch (parts[0], parts.count) {
        case ("logreg", 1): self = .logreg
        case ("cnn", 1): self = .cnn
        case ("mlp", 1): self = .mlp(hidden: ModelSpec.defaultHidden)
        case ("mlp", 2):
            let sizes = parts[1].split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw ModelSpecError.badHiddenSizes(text: text)
            }
            self = .mlp(hidden: sizes.map { $0! })
        case ("logreg", _), ("cnn", _):
            throw ModelSpecError.unexpectedParameter(text: text)
        default:
            throw ModelSpecError.unknownModel(text: text)
        }
    }

    public var description: String {
        switch self {
        case .logreg: return "logreg"
        case .cnn: return "cnn"
        case let .mlp(hidden): return "mlp:" + hidden.map(String.init).joined(separator: ",")
        }
    }

    /// Coded as its description string, e.g. "mlp:256,128".
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try ModelSpec(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a model spec string was rejected.
public enum ModelSpecError: Error, CustomStringConvertible, Equatable {
    case unknownModel(text: String)
    case badHiddenSizes(text: String)
    case unexpectedParameter(text: String)

    public var description: String {
        switch self {
        case let .unknownModel(text):
            return "unknown model '\(text)', expected logreg, mlp, mlp:<h1>,<h2>,… or cnn"
        case let .badHiddenSizes(text):
            return "bad model '\(text)': hidden sizes must be positive integers separated by commas"
        case let .unexpectedParameter(text):
            return "bad model '\(text)': this model takes no parameter"
        }
    }
}
