import CBLAS

/// The pairwise geometry of a round's updates from one Gram matrix G = X·Xᵀ (OpenBLAS ssyrk): norms, dot
/// products, squared distances and Krum scores, shared by the Krum rules and the detectors. Reference vectors
/// (the round's mean and median, for the detectors) ride along as extra rows, so their cosines cost no extra pass.
public struct UpdateGeometry: Sendable {
    /// Number of updates (the reference rows come after them).
    public let count: Int
    /// Rows in the Gram matrix: the updates, then the references.
    let rows: Int
    /// G[a·rows + b] = x_a · x_b over updates then references.
    public let gram: [Double]

    public init(_ updates: [[Float]], references: [[Float]] = []) {
        let vectors = updates + references
        let n = vectors.count
        count = updates.count
        rows = n
        guard n > 0 else { gram = []; return }
        let d = vectors[0].count
        var packed = [Float]()
        packed.reserveCapacity(n * d)
        for u in vectors {
            precondition(u.count == d, "vector lengths differ: \(u.count) vs \(d)")
            packed.append(contentsOf: u)
        }
        var g = [Float](repeating: 0, count: n * n)
        if d > 0 {
            packed.withUnsafeBufferPointer { a in
                g.withUnsafeMutableBufferPointer { c in
                    // The upper triangle of X·Xᵀ (half sgemm's work), mirrored below.
                    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(d), 1, a.baseAddress, Int32(d), 0,
                                c.baseAddress, Int32(n))
                }
            }
            for a in 0..<n { for b in 0..<a { g[a * n + b] = g[b * n + a] } }
        }
        gram = g.map(Double.init)
    }

    public func dot(_ i: Int, _ j: Int) -> Double { gram[i * rows + j] }
    public func norm(_ i: Int) -> Double { max(0, dot(i, i)).squareRoot() }
    /// The updates' norms (not the references').
    public var norms: [Double] { (0..<count).map(norm) }

    /// cos between Gram rows a and b; 0 when either vector is zero.
    func cosine(row a: Int, row b: Int) -> Double {
        let na = norm(a), nb = norm(b)
        return na > 0 && nb > 0 ? dot(a, b) / (na * nb) : 0
    }

    /// cos(u_i, reference r); 0 when either is zero.
    public func cosine(_ i: Int, reference r: Int) -> Double {
        precondition(count + r < rows, "no reference \(r)")
        return cosine(row: i, row: count + r)
    }

    /// The largest cos(u_i, u_j) over the other updates; 1 when there is no other update (nothing to compare).
    public func closestPeerCosine(_ i: Int) -> Double {
        guard count > 1 else { return 1 }
        return (0..<count).filter { $0 != i }.map { cosine(row: i, row: $0) }.max()!
    }

    /// ‖u_i − u_j‖² (never negative).
    public func squaredDistance(_ i: Int, _ j: Int) -> Double { max(0, dot(i, i) + dot(j, j) - 2 * dot(i, j)) }

    /// Krum scores (Blanchard et al., 2017): for each update, the sum of squared distances to its n − f − 2
    /// nearest other updates (all others when that is not positive).
    public func krumScores(f: Int) -> [Double] {
        let n = count
        let neighbours = n - f - 2 > 0 ? n - f - 2 : n - 1
        return (0..<n).map { i in
            let distances = (0..<n).filter { $0 != i }.map { squaredDistance(i, $0) }.sorted()
            return distances.prefix(neighbours).reduce(0, +)
        }
    }
}
