import CBLAS
import Dispatch
import Foundation
import Learning

/// The pairwise geometry of a round's updates from one Gram matrix G = X·Xᵀ (blocked OpenBLAS sdot): norms, dot
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
        count = updates.count
        rows = updates.count + references.count
        gram = Self.blockedGram(updates + references, extraRows: 0) { _, _, _, _ in }
    }

    init(count: Int, rows: Int, gram: [Double]) {
        self.count = count
        self.rows = rows
        self.gram = gram
    }

    /// Coordinates per block: a dozen rows of 8 KiB stay in L2 while every pair's products are taken.
    static let blockWidth = 2048

    /// X·Xᵀ for the rows `vectors` followed by `extraRows` rows computed block by block. For each block of coordinates
    /// `fill(range, vectors, buffer, stride)` writes the extra rows' block into a small buffer (extra row r at
    /// `buffer + r·stride`), then each pair of rows gets one OpenBLAS sdot over the block (in float, summed in double):
    /// nothing is packed or copied, and the block is read from memory once. Long vectors are split across the cores,
    /// each part with its own buffer.
    static func blockedGram(_ vectors: [[Float]], extraRows: Int,
                            fill: (Range<Int>, [UnsafePointer<Float>], UnsafeMutablePointer<Float>, Int) -> Void) -> [Double] {
        let given = vectors.count, n = given + extraRows
        guard n > 0 else { return [] }
        let d = vectors.first?.count ?? 0
        for v in vectors { precondition(v.count == d, "vector lengths differ: \(v.count) vs \(d)") }
        guard d > 0 else { return [Double](repeating: 0, count: n * n) }
        let stride = min(blockWidth, d)
        let blocks = (d + stride - 1) / stride
        let parts = min(blocks, Vector.parallelParts(d))
        var partial = [[Double]](repeating: [], count: parts)
        Vector.withRowPointers(vectors) { sources in
            partial.withUnsafeMutableBufferPointer { out in
                let shared = UncheckedSendable((sources: sources, out: out.baseAddress!))
                withoutActuallyEscaping(fill) { fill in
                    let body = UncheckedSendable(fill)
                    DispatchQueue.concurrentPerform(iterations: parts) { part in
                        var sums = [Double](repeating: 0, count: n * n)
                        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, extraRows) * stride)
                        buffer.initialize(repeating: 0, count: max(1, extraRows) * stride)
                        defer { buffer.deallocate() }
                        var row = [UnsafePointer<Float>](repeating: UnsafePointer(buffer), count: n)
                        for b in (blocks * part / parts)..<(blocks * (part + 1) / parts) {
                            let range = (b * stride)..<min(d, (b + 1) * stride)
                            body.value(range, shared.value.sources, buffer, stride)
                            for r in 0..<n { row[r] = r < given ? shared.value.sources[r] + range.lowerBound : UnsafePointer(buffer + (r - given) * stride) }
                            let length = Int32(range.count)
                            for a in 0..<n {
                                for c in a..<n { sums[a * n + c] += Double(cblas_sdot(length, row[a], 1, row[c], 1)) }
                            }
                        }
                        shared.value.out[part] = sums
                    }
                }
            }
        }
        var sums = partial[0]
        for p in partial.dropFirst() { for i in sums.indices { sums[i] += p[i] } }
        for a in 0..<n { for b in 0..<a { sums[a * n + b] = sums[b * n + a] } }
        return sums
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

