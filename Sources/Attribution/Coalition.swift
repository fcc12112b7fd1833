/// A set of players 0, 1, 2, … of any size: what a coalition game is evaluated on. Players 0..<64 live in one inline
/// word (so coalitions of games with at most 64 players never allocate, and their bitmask is free); players from 64 on
/// in further words. Equal sets are equal values with equal hashes, so games can cache by coalition.
public struct Coalition: Hashable, Sendable, CustomStringConvertible {
    /// Players 0..<64, bit i = player i.
    private var low: UInt64
    /// Players 64…, 64 to a word (word k holds 64·(k+1) ..< 64·(k+2)); never ends in a zero word.
    private var high: [UInt64]

    /// The empty coalition.
    public init() {
        low = 0
        high = []
    }

    /// The coalition of a bitmask: bit i set = player i is in (players 0..<64).
    public init(mask: UInt64) {
        low = mask
        high = []
    }

    /// The coalition of the given players (each ≥ 0; repeats are harmless).
    public init(_ players: some Sequence<Int>) {
        self.init()
        for player in players { insert(player) }
    }

    /// Players 0..<count.
    public static func full(_ count: Int) -> Coalition {
        precondition(count >= 0, "a player count is not negative")
        var c = Coalition(mask: count >= 64 ? .max : (UInt64(1) << UInt64(count)) &- 1)
        var rest = count - 64
        while rest > 0 {
            c.high.append(rest >= 64 ? .max : (UInt64(1) << UInt64(rest)) &- 1)
            rest -= 64
        }
        return c
    }

    /// A random subset of players 0..<count, each in with probability 1/2 independently: one generator word per 64
    /// players, the first masked to the players (so for count ≤ 64 it is `generator.next() & full mask`).
    public static func random(among count: Int, using generator: inout some RandomNumberGenerator) -> Coalition {
        let full = Coalition.full(count)
        var c = Coalition(mask: generator.next() & full.low)
        for word in full.high { c.high.append(generator.next() & word) }
        c.trim()
        return c
    }

    /// The bitmask (bit i = player i) when every member is below 64, else nil: the form of the exhaustive evaluators,
    /// which index tables of all 2^N coalitions.
    public var mask: UInt64? { high.isEmpty ? low : nil }

    public var isEmpty: Bool { low == 0 && high.isEmpty }

    /// The number of members.
    public var count: Int { high.reduce(low.nonzeroBitCount) { $0 + $1.nonzeroBitCount } }

    /// The members in increasing order.
    public var players: [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        for (k, word) in ([low] + high).enumerated() {
            var w = word
            while w != 0 {
                out.append(64 * k + w.trailingZeroBitCount)
                w &= w &- 1
            }
        }
        return out
    }

    public func contains(_ player: Int) -> Bool {
        precondition(player >= 0, "player \(player) is negative")
        if player < 64 { return low & (UInt64(1) << UInt64(player)) != 0 }
        let word = player / 64 - 1
        return word < high.count && high[word] & (UInt64(1) << UInt64(player % 64)) != 0
    }

    public mutating func insert(_ player: Int) {
        precondition(player >= 0, "player \(player) is negative")
        if player < 64 {
            low |= UInt64(1) << UInt64(player)
            return
        }
        let word = player / 64 - 1
        if word >= high.count { high.append(contentsOf: repeatElement(0, count: word - high.count + 1)) }
        high[word] |= UInt64(1) << UInt64(player % 64)
    }

    public mutating func remove(_ player: Int) {
        precondition(player >= 0, "player \(player) is negative")
        if player < 64 {
            low &= ~(UInt64(1) << UInt64(player))
            return
        }
        let word = player / 64 - 1
        guard word < high.count else { return }
        high[word] &= ~(UInt64(1) << UInt64(player % 64))
        trim()
    }

    public func inserting(_ player: Int) -> Coalition {
        var c = self
        c.insert(player)
        return c
    }

    public func removing(_ player: Int) -> Coalition {
        var c = self
        c.remove(player)
        return c
    }

    /// "{0, 3, 70}".
    public var description: String { "{" + players.map(String.init).joined(separator: ", ") + "}" }

    /// Drops trailing zero words, keeping one representation per set.
    private mutating func trim() {
        while high.last == 0 { high.removeLast() }
    }
}
