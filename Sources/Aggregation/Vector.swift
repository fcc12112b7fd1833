/// Small vector helpers shared by the aggregation rules.
enum Vector {
    /// y += a · x
    static func addScaled(_ y: inout [Float], _ x: [Float], _ a: Float) {
        precondition(x.count == y.count, "vector lengths differ: \(x.count) vs \(y.count)")
        y.withUnsafeMutableBufferPointer { yp in
            x.withUnsafeBufferPointer { xp in
                for j in 0..<xp.count { yp[j] += a * xp[j] }
            }
        }
    }
}
