import Learning

/// What the detectors (and robust rules) read of a round, from one pass over the updates: the weighted mean, the
/// coordinate-wise median and the Gram matrix with both as reference rows (reference 0 the mean, 1 the median).
/// Each block of coordinates is read from memory once; the mean's products follow from the updates' ones.
public struct RoundStatistics: Sendable {
    public let mean: [Float]
    public let median: [Float]
    public let geometry: UpdateGeometry

    /// `weights` as in `Vector.weightedMean` (normalised over the positive ones; zeros when none is positive).
    public init(updates: [[Float]], weights: [Double]) {
        precondition(weights.count == updates.count, "one weight per update")
        let n = updates.count, d = updates.first?.count ?? 0
        var mean = [Float](repeating: 0, count: d), median = [Float](repeating: 0, count: d)
        let total = weights.reduce(0) { $0 + max(0, $1) }
        let w = weights.map { total > 0 && $0 > 0 ? $0 / total : 0 }
        let wf = w.map(Float.init)
        let m = n / 2
        let ranks = n % 2 == 1 ? m..<(m + 1) : (max(0, m - 1))..<(m + 1)
        let rankWeight: Float = n % 2 == 1 ? 1 : 0.5
        let network = RankNetwork(count: n, ranks: ranks)
        // Rows: the updates, then the median (the mean's products are combinations of the updates').
        let inner = mean.withUnsafeMutableBufferPointer { meanOut in
            median.withUnsafeMutableBufferPointer { medianOut in
                let outputs = UncheckedSendable((meanOut.baseAddress, medianOut.baseAddress))
                return UpdateGeometry.blockedGram(updates, extraRows: 1) { range, sources, buffer, stride in
                    let column = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: max(1, n))
                    defer { column.deallocate() }
                    var k = 0
                    while k < range.count {
                        let width = min(8, range.count - k), at = range.lowerBound + k
                        var sum = SIMD8<Float>(repeating: 0)
                        for r in 0..<n {
                            column[r] = Vector.load8(sources[r] + at, width: width)
                            sum += wf[r] * column[r]
                        }
                        let mid = n > 0 ? Vector.rankSum(column, network: network, ranks: ranks, weight: rankWeight) : .zero
                        Vector.store8(mid, to: buffer + k, width: width)
                        Vector.store8(sum, to: outputs.value.0! + at, width: width)
                        Vector.store8(mid, to: outputs.value.1! + at, width: width)
                        k += 8
                    }
                }
            }
        }
        // Expand to updates, mean, median: x_i·mean = Σ_j w_j G_ij, and so on.
        let r = n + 1, rows = n + 2
        func g(_ a: Int, _ b: Int) -> Double { inner.isEmpty ? 0 : inner[a * r + b] }
        var gram = [Double](repeating: 0, count: rows * rows)
        for a in 0..<n { for b in 0..<n { gram[a * rows + b] = g(a, b) } }
        for a in 0...n {  // the updates and the median, against the mean
            let dot = (0..<n).reduce(0.0) { $0 + w[$1] * g(a, $1) }
            let row = a == n ? n + 1 : a
            gram[row * rows + n] = dot
            gram[n * rows + row] = dot
        }
        gram[n * rows + n] = (0..<n).reduce(0.0) { s, i in s + w[i] * (0..<n).reduce(0.0) { $0 + w[$1] * g(i, $1) } }
        for a in 0..<n {
            gram[a * rows + n + 1] = g(a, n)
            gram[(n + 1) * rows + a] = g(a, n)
        }
        gram[(n + 1) * rows + n + 1] = g(n, n)
        self.mean = mean
        self.median = median
        geometry = UpdateGeometry(count: n, rows: rows, gram: gram)
    }
}
