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

    /// x · y, accumulated in double.
    public static func dot(_ x: [Float], _ y: [Float]) -> Double {
        precondition(x.count == y.count, "vector lengths differ: \(x.count) vs \(y.count)")
        return x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                var s = 0.0
                for j in 0..<xp.count { s += Double(xp[j]) * Double(yp[j]) }
                return s
            }
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

    /// Coordinate by coordinate: gathers the n values of coordinate j, sorts them (insertion sort: n is small) and
    /// reduces the sorted column with `reduce`. The updates are packed into one contiguous block first.
    static func coordinatewise(_ xs: [[Float]], count: Int, _ reduce: (UnsafeMutablePointer<Float>, Int) -> Float) -> [Float] {
        let n = xs.count
        var packed = [Float]()
        packed.reserveCapacity(n * count)
        for x in xs {
            precondition(x.count == count, "vector lengths differ: \(x.count) vs \(count)")
            packed.append(contentsOf: x)
        }
        var out = [Float](repeating: 0, count: count)
        let column = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
        defer { column.deallocate() }
        packed.withUnsafeBufferPointer { pp in
            let p = pp.baseAddress!
            out.withUnsafeMutableBufferPointer { o in
                for j in 0..<count {
                    for i in 0..<n {
                        let v = p[i * count + j]
                        var k = i
                        while k > 0, column[k - 1] > v {
                            column[k] = column[k - 1]
                            k -= 1
                        }
                        column[k] = v
                    }
                    o[j] = reduce(column, n)
                }
            }
        }
        return out
    }

    /// Coordinate-wise median of the vectors (mean of the two middle values for an even count).
    public static func coordinateMedian(_ xs: [[Float]], count: Int) -> [Float] {
        guard !xs.isEmpty else { return [Float](repeating: 0, count: count) }
        return coordinatewise(xs, count: count) { col, n in
            let m = n / 2
            return n % 2 == 1 ? col[m] : (col[m - 1] + col[m]) / 2
        }
    }
}

extension Vector {
    /// Coordinate-wise trimmed mean: per coordinate, the mean of the values left after dropping the `trim` smallest
    /// and the `trim` largest (requires n > 2·trim).
    public static func trimmedMean(_ xs: [[Float]], count: Int, trim: Int) -> [Float] {
        precondition(xs.count > 2 * trim, "cannot trim \(trim) from each end of \(xs.count) values")
        let kept = Float(xs.count - 2 * trim)
        return coordinatewise(xs, count: count) { col, n in
            var s: Float = 0
            for i in trim..<(n - trim) { s += col[i] }
            return s / kept
        }
    }
}
