/// Deterministic 64-bit generator (SplitMix64) used for sampling permutations and coalitions.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A generator for one round, derived from a run seed so results do not depend on earlier rounds.
    init(seed: UInt64, round: Int) {
        var mixer = SplitMix64(seed: seed ^ (UInt64(bitPattern: Int64(round)) &* 0xD1B5_4A32_D192_ED03))
        state = mixer.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
