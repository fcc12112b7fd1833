/// Which architecture a `Model` has: logistic regression, a ReLU MLP with given hidden sizes, or a small LeNet-style CNN.
public enum ModelSpec: Sendable, Equatable, Codable, CustomStringConvertible {
    case logreg
    case mlp(hidden: [Int])
    case cnn

    public static let defaultHidden = [128]
    /// Widest hidden layer `mlp:` accepts; on 784 inputs one this wide already has more than `maxParameters`.
    public static let maxHiddenSize = 65_536
    /// Most parameters a model may have: the wire protocol's default tensor limit (`DecodeLimits.maxParameters`),
    /// so that every model a spec names can travel in tasks and updates.
    public static let maxParameters = 50_000_000

    /// Parses "logreg", "mlp" (hidden [128]), "mlp:256,128" or "cnn"; refuses a model of the federation's 28×28
    /// images in 10 classes with more than `maxParameters` parameters.
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
            if let wide = sizes.first(where: { $0! > ModelSpec.maxHiddenSize }) {
                throw ModelSpecError.hiddenSizeTooLarge(text: text, size: wide!)
            }
            self = .mlp(hidden: sizes.map { $0! })
        case ("logreg", _), ("cnn", _):
            throw ModelSpecError.unexpectedParameter(text: text)
        default:
            throw ModelSpecError.unknownModel(text: text)
        }
        let count = parameterCount()
        guard let count, count <= ModelSpec.maxParameters else {
            throw ModelSpecError.tooManyParameters(text: text, count: count)
        }
    }

    /// The parameter count of this model for `inputShape` samples in `classCount` classes (`Model`'s layers),
    /// counted without building it; nil when that overflows `Int`.
    public func parameterCount(inputShape: [Int] = [1, 28, 28], classCount: Int = 10) -> Int? {
        switch self {
        case let .mlp(hidden):
            var width = inputShape.reduce(1, *)
            var counts: [Int?] = []
            for h in hidden {
                counts.append(Dense.parameterCount(inputs: width, outputs: h))
                width = h
            }
            counts.append(Dense.parameterCount(inputs: width, outputs: classCount))
            return checkedSum(counts)
        case .logreg, .cnn:
            return checkedSum(Model.layers(spec: self, inputShape: inputShape, classCount: classCount).map(\.parameterCount))
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
    case hiddenSizeTooLarge(text: String, size: Int)
    /// More parameters than `ModelSpec.maxParameters` (nil: more than `Int` holds).
    case tooManyParameters(text: String, count: Int?)

    public var description: String {
        switch self {
        case let .unknownModel(text):
            return "unknown model '\(text)', expected logreg, mlp, mlp:<h1>,<h2>,… or cnn"
        case let .badHiddenSizes(text):
            return "bad model '\(text)': hidden sizes must be positive integers separated by commas"
        case let .unexpectedParameter(text):
            return "bad model '\(text)': this model takes no parameter"
        case let .hiddenSizeTooLarge(text, size):
            return "bad model '\(text)': hidden size \(size) is above \(ModelSpec.maxHiddenSize); "
                + "the model would have more than the \(ModelSpec.maxParameters) parameters one tensor of the wire protocol carries"
        case let .tooManyParameters(text, count):
            return "model '\(text)' has \(count.map(String.init) ?? "too many") parameters on 28×28 images in 10 classes; "
                + "at most \(ModelSpec.maxParameters) fit in one tensor of the wire protocol"
        }
    }
}
