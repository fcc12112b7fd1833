/// A cooperative game over players 0..<playerCount; value(of:) takes a bitmask (bit i = player i). Thread-safe.
public protocol CoalitionGame: Sendable {
    var playerCount: Int { get }
    func value(of coalition: UInt64) -> Double
}

/// A game given by a closure, evaluated on every call (no memoization); handy for tests and table games.
public struct FunctionGame: CoalitionGame {
    public let playerCount: Int
    private let function: @Sendable (UInt64) -> Double

    public init(playerCount: Int, _ value: @escaping @Sendable (UInt64) -> Double) {
        self.playerCount = playerCount
        self.function = value
    }

    public func value(of coalition: UInt64) -> Double { function(coalition) }
}

extension CoalitionGame {
    /// The bitmask of the grand coalition N.
    public var grandCoalition: UInt64 { Coalition.full(playerCount) }
}

/// Bitmask helpers for coalitions of at most 64 players.
public enum Coalition {
    /// Largest number of players a UInt64 bitmask can hold while 1 << N stays representable.
    public static let maxPlayers = 63

    /// The mask with bits 0..<count set.
    public static func full(_ count: Int) -> UInt64 {
        count >= 64 ? UInt64.max : (UInt64(1) << UInt64(count)) &- 1
    }

    /// The mask of the given player indices.
    public static func mask(_ players: [Int]) -> UInt64 {
        players.reduce(UInt64(0)) { $0 | (UInt64(1) << UInt64($1)) }
    }
}
