/// How training samples are split across clients: IID, Dirichlet(alpha) label skew, or k label-sorted shards per client.
public enum PartitionScheme: Sendable, Equatable, Codable, CustomStringConvertible {
    case iid
    case dirichlet(alpha: Double)
    case shards(perClient: Int)

    /// Parses "iid", "dirichlet:0.5" (alpha > 0) or "shards:2" (k ≥ 1).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        switch (parts[0], parts.count) {
        case ("iid", 1):
            self = .iid
        case ("dirichlet", 2):
            guard let alpha = Double(parts[1]), alpha.isFinite, alpha > 0 else {
                throw PartitionSchemeError.badParameter(text: text, reason: "alpha must be a positive number")
            }
            self = .dirichlet(alpha: alpha)
        case ("shards", 2):
            guard let k = Int(parts[1]), k >= 1 else {
                throw PartitionSchemeError.badParameter(text: text, reason: "shards per client must be an integer ≥ 1")
            }
            self = .shards(perClient: k)
        case ("iid", _), ("dirichlet", _), ("shards", _):
            throw PartitionSchemeError.badParameter(text: text, reason: parts[0] == "iid" ? "iid takes no parameter" : "missing ':<value>'")
        default:
            throw PartitionSchemeError.unknownScheme(text: text)
        }
    }

    public var description: String {
        switch self {
        case .iid: return "iid"
        case let .dirichlet(alpha): return "dirichlet:\(alpha)"
        case let .shards(k): return "shards:\(k)"
        }
    }

    /// Coded as its description string, e.g. "dirichlet:0.5".
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try PartitionScheme(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a partition scheme string was rejected.
public enum PartitionSchemeError: Error, CustomStringConvertible, Equatable {
    case unknownScheme(text: String)
    case badParameter(text: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownScheme(text):
            return "unknown partition scheme '\(text)', expected iid, dirichlet:<alpha> or shards:<k>"
        case let .badParameter(text, reason):
            return "bad partition scheme '\(text)': \(reason)"
        }
    }
}
