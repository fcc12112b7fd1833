import Testing
@testable import Learning

/// The one median/percentile implementation, against answers worked out by hand (R type 7).
@Suite struct PercentilesTests {
    @Test func medianAndPercentilesMatchHandAnswers() {
        #expect(Percentiles.median([3, 1, 2]) == 2)
        #expect(Percentiles.median([4, 1, 3, 2]) == 2.5, "even count: mean of the two middle values")
        #expect(Percentiles.percentile([10, 20, 30, 40, 50], 0.9) == 46)
        #expect(Percentiles.percentile([10, 20], 0.25) == 12.5)
        #expect(Percentiles.percentile([5, 1], -1) == 1 && Percentiles.percentile([5, 1], 2) == 5, "q is clamped to 0…1")
        #expect(Percentiles.percentile([7], 0.3) == 7)
        #expect(Percentiles.median([]).isNaN)
    }
}
