/// A comparator network that leaves the values of chosen ranks in place: Batcher's odd–even merge sort for n inputs
/// (comparators reaching past n dropped, as if the missing inputs were +∞), pruned backwards to the comparators that
/// can still move a value into one of the wanted positions. For the median of 10 that is 29 compare-exchanges
/// instead of the 45 of an odd–even transposition sort.
struct RankNetwork: Sendable {
    let count: Int
    /// Compare-exchange pairs (i < j: afterwards x[i] ≤ x[j]), in order.
    let comparators: [(Int, Int)]

    init(count n: Int, ranks: Range<Int>) {
        count = n
        var all: [(Int, Int)] = []
        var p = 1
        while p < n {
            var k = p
            while k >= 1 {
                var j = k % p
                while j + k < n {
                    for i in 0..<min(k, n - j - k) where (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        all.append((i + j, i + j + k))
                    }
                    j += 2 * k
                }
                k /= 2
            }
            p *= 2
        }
        var needed = Set(ranks)
        var kept: [(Int, Int)] = []
        for (i, j) in all.reversed() where needed.contains(i) || needed.contains(j) {
            kept.append((i, j))
            needed.insert(i)
            needed.insert(j)
        }
        comparators = kept.reversed()
    }

    /// Applies the network to `count` columns of eight lanes each, in place.
    func apply(_ c: UnsafeMutablePointer<SIMD8<Float>>) {
        for (i, j) in comparators {
            let a = c[i], b = c[j], swap = b .< a  // a select on `<` compiles to minps/maxps; updates are finite
            c[i] = a.replacing(with: b, where: swap)
            c[j] = b.replacing(with: a, where: swap)
        }
    }
}
