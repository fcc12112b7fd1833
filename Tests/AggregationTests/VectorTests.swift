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

    /// The 0–1 principle: a comparator network puts the right values at the wanted ranks for every input iff it does
    /// for every 0/1 input, so all 2^n of them are tried.
    @Test(arguments: [1, 2, 3, 5, 8, 10, 11, 14])
    func rankNetworksPlaceTheWantedRanksForEveryZeroOneInput(n: Int) {
        let m = n / 2
        for ranks in [n % 2 == 1 ? m..<(m + 1) : (m - 1)..<(m + 1), (n / 4)..<(n - n / 4), 0..<n] where !ranks.isEmpty {
            let network = RankNetwork(count: n, ranks: ranks)
            #expect(network.comparators.count <= n * (n - 1) / 2)
            for bits in 0..<(1 << n) {
                var x = (0..<n).map { (bits >> $0) & 1 }
                for (i, j) in network.comparators where x[j] < x[i] { x.swapAt(i, j) }
                let zeros = n - bits.nonzeroBitCount
                for r in ranks { #expect(x[r] == (r < zeros ? 0 : 1), "n=\(n) ranks=\(ranks) input=\(bits)") }
            }
        }
        #expect(RankNetwork(count: 10, ranks: 4..<6).comparators.count == 29)
    }

    /// One pass gives what the separate computations give: the weighted mean bit for bit, the median bit for bit, and
    /// the Gram with mean and median as references to float accuracy, over lengths spanning several blocks and a
    /// partial last block (40,000 coordinates are split across the cores).
    @Test(arguments: [(10, 5_000), (7, 2 * UpdateGeometry.blockWidth + 3), (4, 40_000), (1, 9)])
    func roundStatisticsMatchTheSeparateComputations(n: Int, count: Int) {
        let xs = columns(n: n, count: count, seed: UInt64(count)).map { $0.map { $0 / 8 } }
        let weights = (0..<n).map { Double(3 + $0 % 4) }
        let mean = Vector.weightedMean(xs, weights: weights, count: count)
        let median = Vector.coordinateMedian(xs, count: count)
        let direct = UpdateGeometry(xs, references: [mean, median])
        let s = RoundStatistics(updates: xs, weights: weights)
        #expect(s.mean == mean)
        #expect(s.median == median)
        #expect(s.geometry.count == n && s.geometry.gram.count == (n + 2) * (n + 2))
        for a in 0..<(n + 2) {
            for b in 0..<(n + 2) {
                let exact = (a < n ? xs[a] : a == n ? mean : median).indices.reduce(0.0) { sum, j in
                    let u = a < n ? xs[a][j] : a == n ? mean[j] : median[j]
                    let v = b < n ? xs[b][j] : b == n ? mean[j] : median[j]
                    return sum + Double(u) * Double(v)
                }
                let tolerance = 1e-5 * max(1, abs(exact))
                #expect(abs(s.geometry.gram[a * (n + 2) + b] - exact) <= tolerance, "G[\(a),\(b)]")
                #expect(abs(direct.gram[a * (n + 2) + b] - exact) <= tolerance)
            }
        }
    }
}
