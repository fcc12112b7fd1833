import CBLAS

/// The pairwise geometry of a round's updates from one Gram matrix G = X·Xᵀ (OpenBLAS sgemm): norms, dot
/// products, squared distances and Krum scores, shared by the Krum rules and the detectors.
public struct UpdateGeometry: Sendable {
    public let count: Int
    /// G[i·n + j] = u_i · u_j.
    public let gram: [Double]

    public init(_ updates: [[Float]]) {
        let n = updates.count
        count = n
        guard n > 0 else { gram = []; return }
        let d = updates[0].count
        var packed = [Float]()
        packed.reserveCapacity(n * d)
        for u in updates {
            precondition(u.count == d, "vector lengths differ: \(u.count) vs \(d)")
            packed.append(contentsOf: u)
        }
        var g = [Float](repeating: 0, count: n * n)
        if d > 0 {
            packed.withUnsafeBufferPointer { a in
                g.withUnsafeMutableBufferPointer { c in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(d), 1,
                                a.baseAddress, Int32(d), a.baseAddress, Int32(d), 0, c.baseAddress, Int32(n))
                }
            }
        }
        gram = g.map(Double.init)
    }

    public func dot(_ i: Int, _ j: Int) -> Double { gram[i * count + j] }
    public func norm(_ i: Int) -> Double { max(0, dot(i, i)).squareRoot() }
    public var norms: [Double] { (0..<count).map(norm) }

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
