/// A cooperative game over players 0..<playerCount, valued on coalitions of any size. Thread-safe.
public protocol CoalitionGame: Sendable {
    var playerCount: Int { get }
    func value(of coalition: Coalition) -> Double
}

extension CoalitionGame {
    /// The coalition of all players N.
    public var grandCoalition: Coalition { Coalition.full(playerCount) }

    /// v of a bitmask (bit i = player i): the form of the exhaustive evaluators, which enumerate masks 0..<2^N.
    public func value(of mask: UInt64) -> Double { value(of: Coalition(mask: mask)) }
}

/// A game given by a closure, evaluated on every call (no memoization); handy for tests and table games.
public struct FunctionGame: CoalitionGame {
    public let playerCount: Int
    private let function: @Sendable (Coalition) -> Double

    public init(playerCount: Int, _ value: @escaping @Sendable (Coalition) -> Double) {
        self.playerCount = playerCount
        self.function = value
    }

    /// A game of at most 64 players written on bitmasks (bit i = player i).
    @_disfavoredOverload
    public init(playerCount: Int, _ value: @escaping @Sendable (UInt64) -> Double) {
        precondition(playerCount <= 64, "a bitmask game has at most 64 players, not \(playerCount)")
        self.init(playerCount: playerCount) { (coalition: Coalition) in value(coalition.mask!) }
    }

    public func value(of coalition: Coalition) -> Double { function(coalition) }
}
