import Testing
@testable import Wire

/// The portable binary16 conversion against the toolchain's `Float16` and hand-picked bit patterns.
@Suite struct HalfFloatTests {
    @Test func decodingMatchesFloat16ForAllBitPatterns() {
        var mismatches = 0
        for bits in 0...UInt16.max {
            let mine = HalfFloat.value(from: bits)
            let reference = Float(Float16(bitPattern: bits))
            if mine.isNaN ? !reference.isNaN : mine.bitPattern != reference.bitPattern { mismatches += 1 }
            #expect(HalfFloat.isFinite(bits) == reference.isFinite)
        }
        #expect(mismatches == 0)
    }

    @Test func encodingMatchesFloat16OverASweepOfFloat32() {
        var mismatches: [UInt32] = []
        var bits: UInt32 = 0
        while true {
            let f = Float(bitPattern: bits)
            let mine = HalfFloat.bits(from: f)
            let reference = Float16(f)
            let ok = f.isNaN ? Float16(bitPattern: mine).isNaN : mine == reference.bitPattern
            if !ok, mismatches.count < 10 { mismatches.append(bits) }
            let (next, overflow) = bits.addingReportingOverflow(4_093)  // a prime stride hits every rounding case
            if overflow { break }
            bits = next
        }
        #expect(mismatches == [])
    }

    @Test func knownValuesAndTies() {
        #expect(HalfFloat.bits(from: 1.0) == 0x3C00)
        #expect(HalfFloat.bits(from: -2.0) == 0xC000)
        #expect(HalfFloat.bits(from: 65_504) == 0x7BFF)              // largest finite
        #expect(HalfFloat.bits(from: 65_520) == 0x7C00)              // halfway to 2^16 rounds to even = inf
        #expect(HalfFloat.bits(from: 65_519) == 0x7BFF)
        #expect(HalfFloat.bits(from: 0x1p-24) == 0x0001)             // smallest subnormal
        #expect(HalfFloat.bits(from: 0x1p-25) == 0x0000)             // tie between 0 and 2^-24 → even (0)
        #expect(HalfFloat.bits(from: 0x1.8p-24) == 0x0002)           // tie between 1 and 2 ulps → even (2)
        #expect(HalfFloat.bits(from: 1 + 0x1p-11) == 0x3C00)         // tie → even mantissa
        #expect(HalfFloat.bits(from: 1 + 0x1.8p-10) == 0x3C02)       // tie → even mantissa (up)
        #expect(HalfFloat.bits(from: -0.0) == 0x8000)
        #expect(HalfFloat.bits(from: .infinity) == 0x7C00)
        #expect(HalfFloat.bits(from: -.infinity) == 0xFC00)
        #expect(HalfFloat.value(from: HalfFloat.bits(from: .nan)).isNaN)
        #expect(HalfFloat.value(from: 0x3555) == 0x1.554p-2)
        #expect(HalfFloat.value(from: 0x0400) == 0x1p-14)            // smallest normal
        #expect(HalfFloat.value(from: 0x03FF) == 0x1.FF8p-15)        // largest subnormal
    }
}
