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
    /// order statistic, the mean of the middle two, or a trimmed mean. Each column goes through a `RankNetwork`
    /// (branch-free min/max), eight coordinates at a time in SIMD lanes. Long vectors are split across the cores.
    static func rankRangeSum(_ xs: [[Float]], count: Int, ranks: Range<Int>, weight: Float) -> [Float] {
        for x in xs { precondition(x.count == count, "vector lengths differ: \(x.count) vs \(count)") }
        var out = [Float](repeating: 0, count: count)
        guard !xs.isEmpty, count > 0 else { return out }
        let parts = parallelParts(count)
        let blocks = (count + 7) / 8
        let network = RankNetwork(count: xs.count, ranks: ranks)
        withRowPointers(xs) { rows in
            out.withUnsafeMutableBufferPointer { o in
                let target = UncheckedSendable((base: o.baseAddress!, rows: rows))
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let first = blocks * part / parts * 8, last = min(count, blocks * (part + 1) / parts * 8)
                    let column = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: network.count)
                    defer { column.deallocate() }
                    var k = first
                    while k < last {
                        let width = min(8, last - k)
                        for r in 0..<network.count { column[r] = load8(target.value.rows[r] + k, width: width) }
                        store8(rankSum(column, network: network, ranks: ranks, weight: weight), to: target.value.base + k, width: width)
                        k += 8
                    }
                }
            }
        }
        return out
    }

    /// How many threads a coordinate-wise pass over `count` coordinates uses: every core for long vectors (the round's
    /// clients are idle while the coordinator aggregates, as during attribution), one for short ones.
    static func parallelParts(_ count: Int) -> Int {
        count >= 32_768 ? max(1, ProcessInfo.processInfo.activeProcessorCount) : 1
    }

    /// `weight` × the sum of ranks `ranks` of each lane of `column` (which `network` reorders in place).
    static func rankSum(_ column: UnsafeMutablePointer<SIMD8<Float>>, network: RankNetwork, ranks: Range<Int>,
                        weight: Float) -> SIMD8<Float> {
        network.apply(column)
        var sum = SIMD8<Float>(repeating: 0)
        for r in ranks { sum += column[r] }
        return sum * weight
    }

    /// Eight floats from `p`, zeros past `width`.
    static func load8(_ p: UnsafePointer<Float>, width: Int) -> SIMD8<Float> {
        if width == 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>(repeating: 0)
        for l in 0..<width { v[l] = p[l] }
        return v
    }

    /// Stores the first `width` lanes of `v` at `p`.
    static func store8(_ v: SIMD8<Float>, to p: UnsafeMutablePointer<Float>, width: Int) {
        if width == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self); return }
        for l in 0..<width { p[l] = v[l] }
    }

    /// Calls `body` with a base pointer for each vector (none may be empty), valid for the call.
    static func withRowPointers<R>(_ xs: [[Float]], _ body: ([UnsafePointer<Float>]) -> R) -> R {
        var pointers: [UnsafePointer<Float>] = []
        pointers.reserveCapacity(xs.count)
        func nest(_ i: Int) -> R {
            guard i < xs.count else { return body(pointers) }
            return xs[i].withUnsafeBufferPointer { row in
                pointers.append(row.baseAddress!)
                return nest(i + 1)
            }
        }
        return nest(0)
    }

    /// Coordinate-wise median of the vectors (mean of the two middle values for an even count).
    public static func coordinateMedian(_ xs: [[Float]], count: Int) -> [Float] {
        guard !xs.isEmpty else { return [Float](repeating: 0, count: count) }
        let n = xs.count, m = n / 2
        return n % 2 == 1 ? rankRangeSum(xs, count: count, ranks: m..<(m + 1), weight: 1)
            : rankRangeSum(xs, count: count, ranks: (m - 1)..<(m + 1), weight: 0.5)
    }
}

extension Vector {
    /// Coordinate-wise trimmed mean: per coordinate, the mean of the values left after dropping the `trim` smallest
    /// and the `trim` largest (requires n > 2·trim).
    public static func trimmedMean(_ xs: [[Float]], count: Int, trim: Int) -> [Float] {
        precondition(xs.count > 2 * trim, "cannot trim \(trim) from each end of \(xs.count) values")
        return rankRangeSum(xs, count: count, ranks: trim..<(xs.count - trim), weight: 1 / Float(xs.count - 2 * trim))
    }
}
