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
