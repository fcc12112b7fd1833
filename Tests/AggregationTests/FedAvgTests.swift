import Testing
@testable import Aggregation

@Suite struct FedAvgTests {
    let updates: [[Float]] = [[1, 0, 2], [3, 4, -2], [0, 8, 0]]
    let counts = [10, 30, 60]

    @Test func weightsUpdatesBySampleCount() {
        let a = FedAvg().aggregate(updates, sampleCounts: counts)
        // 0.1·u0 + 0.3·u1 + 0.6·u2, computed by hand.
        #expect(zip(a, [1.0, 6.0, -0.4] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func linearCoefficientsReproduceTheSubsetAggregate() {
        let rule = FedAvg()
        for mask in UInt64(1)..<8 {
            let members = (0..<3).filter { mask & (1 << UInt64($0)) != 0 }
            let direct = rule.aggregate(members.map { updates[$0] }, sampleCounts: members.map { counts[$0] })
            let viaMask = rule.aggregate(members: mask, updates: updates, sampleCounts: counts)
            #expect(zip(direct, viaMask).allSatisfy { abs($0 - $1) < 1e-6 }, "mask \(mask)")
            let c = rule.linearCoefficients(members: mask, sampleCounts: counts)!
            #expect(abs(c.reduce(0, +) - 1) < 1e-6)
            for i in 0..<3 where !members.contains(i) { #expect(c[i] == 0) }
        }
    }

    @Test func emptySubsetAggregatesToZero() {
        let rule = FedAvg()
        #expect(rule.aggregate(members: 0, updates: updates, sampleCounts: counts) == [0, 0, 0])
        #expect(rule.linearCoefficients(members: 0, sampleCounts: counts) == [0, 0, 0])
    }

    @Test func registryRefusesUnknownRulesByName() {
        #expect(throws: AggregationError.unknownRule(name: "krum", known: ["fedavg"])) { try AggregationRegistry.make("krum") }
        #expect((try? AggregationRegistry.make("fedavg"))?.name == "fedavg")
    }
}

/// A linear rule that is not a weighted mean (coefficients do not renormalise over the subset).
private struct PlainSum: AggregationRule {
    let name = "sum"
    func aggregate(_ updates: [[Float]], sampleCounts: [Int]) -> [Float] {
        updates.dropFirst().reduce(updates.first ?? []) { zip($0, $1).map { $0 + $1 } }
    }
    func linearCoefficients(members: UInt64, sampleCounts: [Int]) -> [Float]? {
        sampleCounts.indices.map { members & (1 << UInt64($0)) != 0 ? 1 : 0 }
    }
}

@Suite struct WeightedMeanWeightsTests {
    let counts = [10, 30, 60, 0, 7]

    @Test func fedAvgWeightsAreTheSampleCountsAndReproduceEverySubsetsCoefficients() throws {
        let rule: any AggregationRule = FedAvg()
        let w = try #require(rule.weightedMeanWeights(sampleCounts: counts))
        #expect(w == [10, 30, 60, 0, 7])
        for mask in UInt64(0)..<32 {
            let total = counts.indices.filter { mask & (1 << UInt64($0)) != 0 }.reduce(Float(0)) { $0 + w[$1] }
            let fromWeights = counts.indices.map { i -> Float in
                mask & (1 << UInt64(i)) != 0 && total > 0 ? w[i] / total : 0
            }
            let c = rule.linearCoefficients(members: mask, sampleCounts: counts)!
            #expect(zip(c, fromWeights).allSatisfy { abs($0 - $1) <= 1e-6 }, "mask \(mask): \(c) vs \(fromWeights)")
        }
    }

    @Test func rulesThatAreNotWeightedMeansSayNil() {
        let rule: any AggregationRule = PlainSum()
        #expect(rule.weightedMeanWeights(sampleCounts: counts) == nil)
        #expect(rule.linearCoefficients(members: 3, sampleCounts: counts) == [1, 1, 0, 0, 0])
    }
}
