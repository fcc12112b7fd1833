import Foundation
import Learning

/// The statistics an experiment reports over seeds: summaries, paired tests and distances between samples.
/// Pure functions on plain arrays, so each is checked against answers worked out by hand.
public enum Statistics {
    public static func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }

    /// Sample standard deviation (n − 1 in the denominator); 0 for a single value.
    public static func standardDeviation(_ x: [Double]) -> Double {
        guard x.count > 1 else { return x.isEmpty ? .nan : 0 }
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }

    public static func variance(_ x: [Double]) -> Double { let s = standardDeviation(x); return s * s }

    /// The p-quantile by linear interpolation between order statistics (R's type 7, NumPy's default).
    public static func quantile(_ x: [Double], _ p: Double) -> Double { Percentiles.percentile(x, p) }

    /// Percentile-bootstrap confidence interval of the mean (resampling with replacement, seeded, so reproducible).
    public static func bootstrapMeanInterval(_ x: [Double], level: Double = 0.95, resamples: Int = 4000,
                                             seed: UInt64 = 0x5EED) -> (low: Double, high: Double) {
        guard x.count > 1 else { return x.isEmpty ? (.nan, .nan) : (x[0], x[0]) }
        var state = seed
        var means = [Double](repeating: 0, count: resamples)
        for b in 0..<resamples {
            var sum = 0.0
            for _ in 0..<x.count { sum += x[Int(splitMix(&state) % UInt64(x.count))] }
            means[b] = sum / Double(x.count)
        }
        let alpha = (1 - level) / 2
        return (quantile(means, alpha), quantile(means, 1 - alpha))
    }

    /// Two-sided Wilcoxon signed-rank test of paired differences against 0. Zeros are dropped, tied |d| share
    /// their average rank. Exact null distribution (all 2^n sign patterns, by counting) when n ≤ 30 and there are
    /// no ties; otherwise the normal approximation with tie correction and continuity correction.
    /// Returns W+ (the sum of ranks of positive differences), the number of non-zero pairs and the p-value.
    public static func wilcoxonSignedRank(_ differences: [Double]) -> (wPlus: Double, n: Int, p: Double) {
        let d = differences.filter { $0 != 0 && $0.isFinite }
        let n = d.count
        guard n > 0 else { return (0, 0, 1) }
        let ranks = averageRanks(d.map(abs))
        let wPlus = zip(d, ranks).filter { $0.0 > 0 }.reduce(0) { $0 + $1.1 }
        let hasTies = Set(d.map(abs)).count < n
        if n <= 30, !hasTies {
            // counts[s] = number of sign patterns whose positive ranks sum to s.
            let total = n * (n + 1) / 2
            var counts = [Double](repeating: 0, count: total + 1)
            counts[0] = 1
            for r in 1...n {
                for s in stride(from: total, through: r, by: -1) { counts[s] += counts[s - r] }
            }
            let all = pow(2.0, Double(n))
            let w = Int(wPlus.rounded())
            let lower = counts[0...min(w, total)].reduce(0, +) / all
            let upper = counts[max(w, 0)...total].reduce(0, +) / all
            return (wPlus, n, min(1, 2 * min(lower, upper)))
        }
        let nd = Double(n)
        let meanW = nd * (nd + 1) / 4
        var tieTerm = 0.0
        for (_, group) in Dictionary(grouping: d.map(abs), by: { $0 }) where group.count > 1 {
            let t = Double(group.count)
            tieTerm += t * t * t - t
        }
        let varW = nd * (nd + 1) * (2 * nd + 1) / 24 - tieTerm / 48
        guard varW > 0 else { return (wPlus, n, 1) }
        let z = (abs(wPlus - meanW) - 0.5) / varW.squareRoot()
        return (wPlus, n, min(1, erfc(max(z, 0) / 2.0.squareRoot())))
    }

    /// Ranks 1…n of `x` in ascending order, tied values sharing their average rank.
    public static func averageRanks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var ranks = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, x[order[j + 1]] == x[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = r }
            i = j + 1
        }
        return ranks
    }

    /// Kendall's τ-b between two score vectors over the same items (ties handled); 1 = same order, −1 = reversed.
    public static func kendallTau(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "Kendall τ needs paired scores")
        var concordant = 0.0, discordant = 0.0, tiesA = 0.0, tiesB = 0.0
        for i in 0..<a.count {
            for j in (i + 1)..<max(a.count, i + 1) {
                let x = a[i] - a[j], y = b[i] - b[j]
                if x == 0, y == 0 { continue }
                if x == 0 { tiesA += 1; continue }
                if y == 0 { tiesB += 1; continue }
                if (x > 0) == (y > 0) { concordant += 1 } else { discordant += 1 }
            }
        }
        let denominator = ((concordant + discordant + tiesA) * (concordant + discordant + tiesB)).squareRoot()
        return denominator > 0 ? (concordant - discordant) / denominator : .nan
    }

    /// 1-D Wasserstein (earth mover's) distance between two empirical distributions: ∫ |F_a(t) − F_b(t)| dt.
    public static func wasserstein1(_ a: [Double], _ b: [Double]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return .nan }
        let sa = a.sorted(), sb = b.sorted()
        let points = (sa + sb).sorted()
        var distance = 0.0, ia = 0, ib = 0
        for k in 0..<(points.count - 1) {
            while ia < sa.count, sa[ia] <= points[k] { ia += 1 }
            while ib < sb.count, sb[ib] <= points[k] { ib += 1 }
            let fa = Double(ia) / Double(sa.count), fb = Double(ib) / Double(sb.count)
            distance += abs(fa - fb) * (points[k + 1] - points[k])
        }
        return distance
    }

    /// Ranks with 1 = highest; equal values share the smallest rank (as attribution.jsonl ranks clients).
    public static func descendingRanks(_ values: [Double]) -> [Int] {
        values.map { v in 1 + values.filter { $0 > v }.count }
    }

    /// Each value's share of the positive total: max(v, 0) / Σ max(v_j, 0); zeros when nothing is positive.
    public static func positiveShares(_ values: [Double]) -> [Double] {
        let total = values.reduce(0) { $0 + max($1, 0) }
        return values.map { total > 0 ? max($0, 0) / total : 0 }
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
