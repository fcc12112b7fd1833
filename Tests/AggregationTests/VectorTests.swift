import Testing
@testable import Aggregation

/// The rank-counting median and trimmed mean against sorting each column, on columns with ties and lengths that
/// leave a partial SIMD block.
@Suite struct VectorTests {
    private func columns(n: Int, count: Int, seed: UInt64) -> [[Float]] {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 59)) - 8  // 32 values: ties are common
        }
        return (0..<n).map { _ in (0..<count).map { _ in next() } }
    }

    private func bySorting(_ xs: [[Float]], count: Int, _ reduce: ([Float]) -> Float) -> [Float] {
        (0..<count).map { j in reduce(xs.map { $0[j] }.sorted()) }
    }

    @Test(arguments: [1, 2, 3, 4, 7, 10, 13])
    func medianEqualsTheSortedMiddle(n: Int) {
        let xs = columns(n: n, count: 37, seed: UInt64(n))
        let expected = bySorting(xs, count: 37) { s in s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
        #expect(Vector.coordinateMedian(xs, count: 37) == expected)
    }

    @Test(arguments: [(5, 1), (10, 1), (10, 3), (13, 6)])
    func trimmedMeanEqualsTheMeanOfTheSortedMiddle(n: Int, trim: Int) {
        let xs = columns(n: n, count: 21, seed: UInt64(100 + n))
        let expected = bySorting(xs, count: 21) { s in s[trim..<(s.count - trim)].reduce(0, +) / Float(s.count - 2 * trim) }
        let got = Vector.trimmedMean(xs, count: 21, trim: trim)
        for (g, e) in zip(got, expected) { #expect(abs(g - e) <= 1e-5 * max(1, abs(e))) }
    }

    @Test func geometryCosinesToReferencesMatchDirectOnes() {
        let xs = columns(n: 4, count: 50, seed: 7)
        let reference: [Float] = (0..<50).map { Float($0 % 5) - 2 }
        let g = UpdateGeometry(xs, references: [reference])
        #expect(g.count == 4 && g.norms.count == 4)
        for i in 0..<4 { #expect(abs(g.cosine(i, reference: 0) - Vector.cosine(xs[i], reference)) < 1e-5) }
    }
}
