import CBLAS
import Dispatch
import Foundation
import Learning

/// Small vector helpers shared by the aggregation rules and detectors (flat `[Float]` parameter vectors).
public enum Vector {
    /// y += a · x
    public static func addScaled(_ y: inout [Float], _ x: [Float], _ a: Float) {
        precondition(x.count == y.count, "vector lengths differ: \(x.count) vs \(y.count)")
        y.withUnsafeMutableBufferPointer { yp in
            x.withUnsafeBufferPointer { xp in
                for j in 0..<xp.count { yp[j] += a * xp[j] }
            }
        }
    }

    /// x · y, accumulated in double (OpenBLAS dsdot).
    public static func dot(_ x: [Float], _ y: [Float]) -> Double {
        precondition(x.count == y.count, "vector lengths differ: \(x.count) vs \(y.count)")
        return x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in cblas_dsdot(Int32(xp.count), xp.baseAddress, 1, yp.baseAddress, 1) }
        }
    }

    /// ‖x‖₂
    public static func norm(_ x: [Float]) -> Double { dot(x, x).squareRoot() }

    /// ‖x − y‖₂²
    public static func squaredDistance(_ x: [Float], _ y: [Float]) -> Double {
        precondition(x.count == y.count, "vector lengths differ: \(x.count) vs \(y.count)")
        return x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                var s = 0.0
                for j in 0..<xp.count {
                    let d = Double(xp[j]) - Double(yp[j])
                    s += d * d
                }
                return s
            }
        }
    }

    /// cos(x, y); 0 when either vector is zero.
    public static func cosine(_ x: [Float], _ y: [Float]) -> Double {
        let nx = norm(x), ny = norm(y)
        return nx > 0 && ny > 0 ? dot(x, y) / (nx * ny) : 0
    }

    /// x scaled by a.
    public static func scaled(_ x: [Float], _ a: Float) -> [Float] { x.map { $0 * a } }

    /// Σ w_i · x_i / Σ w_i over the vectors with w_i > 0; zeros when no weight is positive.
    public static func weightedMean(_ xs: [[Float]], weights: [Double], count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let total = weights.reduce(0) { $0 + max(0, $1) }
        guard total > 0 else { return out }
        for (x, w) in zip(xs, weights) where w > 0 { addScaled(&out, x, Float(w / total)) }
        return out
    }

    /// The median of a small array (mean of the two middle values for an even count); nil when empty.
    public static func median(_ values: [Double]) -> Double? { values.isEmpty ? nil : Percentiles.median(values) }

    /// Coordinate by coordinate, `weight` × the sum of the values whose rank in their column lies in `ranks`: an
    /// order statistic, the mean of the middle two, or a trimmed mean. Each column is sorted by an odd–even
    /// transposition network (n rounds of branch-free min/max), eight coordinates at a time in SIMD lanes; n²/2
    /// compare-exchanges per coordinate, which suits the tens of updates a round holds. Long vectors are split across
    /// as many threads as BLAS is allowed.
    static func rankRangeSum(_ xs: [[Float]], count: Int, ranks: Range<Int>, weight: Float) -> [Float] {
        for x in xs { precondition(x.count == count, "vector lengths differ: \(x.count) vs \(count)") }
        var out = [Float](repeating: 0, count: count)
        guard !xs.isEmpty, count > 0 else { return out }
        let parts = count >= 32_768 ? max(1, min(BLASThreads.current, ProcessInfo.processInfo.activeProcessorCount)) : 1
        let blocks = (count + 7) / 8
        out.withUnsafeMutableBufferPointer { o in
            let target = DisjointRanges(base: o.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let first = blocks * part / parts * 8, last = min(count, blocks * (part + 1) / parts * 8)
                rankRangeSum(xs, coordinates: first..<last, ranks: ranks, weight: weight, into: target.base)
            }
        }
        return out
    }

    private static func rankRangeSum(_ xs: [[Float]], coordinates: Range<Int>, ranks: Range<Int>, weight: Float,
                                     into out: UnsafeMutablePointer<Float>) {
        let n = xs.count
        var column = [SIMD8<Float>](repeating: .zero, count: n)
        var k = coordinates.lowerBound
        while k < coordinates.upperBound {
            let width = min(8, coordinates.upperBound - k)
            for r in 0..<n {
                column[r] = xs[r].withUnsafeBufferPointer { row in
                    if width == 8 { return UnsafeRawPointer(row.baseAddress! + k).loadUnaligned(as: SIMD8<Float>.self) }
                    var v = SIMD8<Float>(repeating: 0)
                    for l in 0..<width { v[l] = row[k + l] }
                    return v
                }
            }
            var sum = SIMD8<Float>(repeating: 0)
            column.withUnsafeMutableBufferPointer { c in
                for round in 0..<n {
                    var i = round % 2
                    while i + 1 < n {
                        let a = c[i], b = c[i + 1], swap = b .< a
                        c[i] = a.replacing(with: b, where: swap)
                        c[i + 1] = b.replacing(with: a, where: swap)
                        i += 2
                    }
                }
                for r in ranks { sum += c[r] }
            }
            sum *= weight
            for l in 0..<width { out[k + l] = sum[l] }
            k += 8
        }
    }

    /// Coordinate-wise median of the vectors (mean of the two middle values for an even count).
    public static func coordinateMedian(_ xs: [[Float]], count: Int) -> [Float] {
        guard !xs.isEmpty else { return [Float](repeating: 0, count: count) }
        let n = xs.count, m = n / 2
        return n % 2 == 1 ? rankRangeSum(xs, count: count, ranks: m..<(m + 1), weight: 1)
            : rankRangeSum(xs, count: count, ranks: (m - 1)..<(m + 1), weight: 0.5)
    }
}

/// An output buffer the parallel parts of a coordinate-wise reduction write in disjoint ranges, read after the join.
private struct DisjointRanges: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
}

extension Vector {
    /// Coordinate-wise trimmed mean: per coordinate, the mean of the values left after dropping the `trim` smallest
    /// and the `trim` largest (requires n > 2·trim).
    public static func trimmedMean(_ xs: [[Float]], count: Int, trim: Int) -> [Float] {
        precondition(xs.count > 2 * trim, "cannot trim \(trim) from each end of \(xs.count) values")
        return rankRangeSum(xs, count: count, ranks: trim..<(xs.count - trim), weight: 1 / Float(xs.count - 2 * trim))
    }
}
