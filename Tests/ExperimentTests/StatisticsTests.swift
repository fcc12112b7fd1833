import Foundation
import Testing
@testable import Experiment

/// Every statistic against an answer worked out by hand (or by the textbook definition on a tiny sample).
struct StatisticsTests {
    @Test func meanStandardDeviationAndQuantiles() {
        let x = [2.0, 4, 4, 4, 5, 5, 7, 9]
        #expect(Statistics.mean(x) == 5)
        // Σ(x − 5)² = 32, n − 1 = 7.
        #expect(abs(Statistics.standardDeviation(x) - (32.0 / 7).squareRoot()) < 1e-12)
        #expect(Statistics.standardDeviation([3]) == 0)
        // Type 7: h = (n − 1)p; [1,2,3,4]: q(0.5) = 2.5, q(0.05) = 1 + 0.15, q(0.95) = 3.85.
        #expect(Statistics.quantile([4, 1, 3, 2], 0.5) == 2.5)
        #expect(abs(Statistics.quantile([1, 2, 3, 4], 0.05) - 1.15) < 1e-12)
        #expect(abs(Statistics.quantile([1, 2, 3, 4], 0.95) - 3.85) < 1e-12)
        #expect(Statistics.quantile([7], 0.95) == 7)
    }

    @Test func averageRanksShareTies() {
        #expect(Statistics.averageRanks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
        #expect(Statistics.descendingRanks([0.1, 0.5, 0.5, -1]) == [3, 1, 1, 4])
    }

    @Test func positiveSharesIgnoreNegativeCredit() {
        #expect(Statistics.positiveShares([3, 1, -2, 0]) == [0.75, 0.25, 0, 0])
        #expect(Statistics.positiveShares([-1, -2]) == [0, 0])
    }

    @Test func wilcoxonExactDistribution() {
        // n = 5, all positive: W+ = 15 is the most extreme of 2^5 = 32 patterns; two-sided p = 2/32.
        let all = Statistics.wilcoxonSignedRank([1, 2, 3, 4, 5])
        #expect(all.wPlus == 15 && all.n == 5)
        #expect(abs(all.p - 2.0 / 32) < 1e-12)
        // d = [1, −2, 3, 4, 5]: W+ = 13; P(W+ ≥ 13) = #{sums ≥ 13}/32 = 3/32 (sums 13, 14, 15), two-sided 6/32.
        let one = Statistics.wilcoxonSignedRank([1, -2, 3, 4, 5])
        #expect(one.wPlus == 13)
        #expect(abs(one.p - 6.0 / 32) < 1e-12)
        // Zeros are dropped; symmetric data give p = 1.
        #expect(Statistics.wilcoxonSignedRank([0, 0, 1, -1.5, 1.5, -1]).p > 0.99)
        #expect(Statistics.wilcoxonSignedRank([0, 0]).p == 1)
    }

    @Test func wilcoxonNormalApproximationWithTies() {
        // 40 differences of +1 (all tied): W+ = 820, mean 410, variance 40·41·81/24 − (40³ − 40)/48 = 5535 − 1332.5.
        let r = Statistics.wilcoxonSignedRank([Double](repeating: 1, count: 40))
        let z = (820 - 410 - 0.5) / (5535 - 1332.5).squareRoot()
        #expect(abs(r.p - erfc(z / 2.0.squareRoot())) < 1e-12)
        #expect(r.p < 1e-6)
    }

    @Test func kendallTau() {
        #expect(Statistics.kendallTau([1, 2, 3, 4], [10, 20, 30, 40]) == 1)
        #expect(Statistics.kendallTau([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
        // One swapped pair of 6: (5 − 1)/6.
        #expect(abs(Statistics.kendallTau([1, 2, 3, 4], [1, 3, 2, 4]) - 4.0 / 6) < 1e-12)
        // τ-b with a tie in b: pairs (1,2),(1,3),(2,3): b ties on (1,2); C = 2, D = 0, denominator √(3·2).
        #expect(abs(Statistics.kendallTau([1, 2, 3], [5, 5, 6]) - 2 / 6.0.squareRoot()) < 1e-12)
    }

    @Test func wassersteinOfShiftedAndSpreadSamples() {
        #expect(abs(Statistics.wasserstein1([0, 1, 2], [3, 4, 5]) - 3) < 1e-12)
        #expect(Statistics.wasserstein1([1, 2, 3], [3, 2, 1]) == 0)
        // Same mean, different spread: {0,0} vs {−1,1}: ∫|F_a − F_b| = 0.5 + 0.5.
        #expect(abs(Statistics.wasserstein1([0, 0], [-1, 1]) - 1) < 1e-12)
        // Unequal sizes: {0} vs {0, 2}: F differs by 0.5 on [0, 2).
        #expect(abs(Statistics.wasserstein1([0], [0, 2]) - 1) < 1e-12)
    }

    @Test func bootstrapIntervalCoversTheMeanAndIsReproducible() {
        let x = [0.1, 0.3, 0.2, 0.5, 0.4, 0.35, 0.15, 0.25]
        let a = Statistics.bootstrapMeanInterval(x), b = Statistics.bootstrapMeanInterval(x)
        #expect(a.low == b.low && a.high == b.high)
        #expect(a.low < Statistics.mean(x) && Statistics.mean(x) < a.high)
        #expect(a.low >= x.min()! && a.high <= x.max()!)
        // A constant sample has a zero-width interval.
        let c = Statistics.bootstrapMeanInterval([2, 2, 2])
        #expect(c.low == 2 && c.high == 2)
    }
}
