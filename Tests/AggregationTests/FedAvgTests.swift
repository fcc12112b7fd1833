import Testing
@testable import Aggregation

func input(_ updates: [[Float]], counts: [Int]? = nil, flagged: [Bool]? = nil, drop: Bool = false) -> AggregationInput {
    AggregationInput(base: [Float](repeating: 0, count: updates.first?.count ?? 0), clients: updates.indices.map { "client-\($0)" },
                     sampleCounts: counts ?? [Int](repeating: 1, count: updates.count), updates: updates, flagged: flagged, dropFlagged: drop)
}

func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-5) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

@Suite struct FedAvgTests {
    let updates: [[Float]] = [[1, 0, 2], [3, 4, -2], [0, 8, 0]]
    let counts = [10, 30, 60]

    @Test func weightsUpdatesBySampleCount() {
        let r = FedAvg().aggregate(input(updates, counts: counts))
        // 0.1·u0 + 0.3·u1 + 0.6·u2, computed by hand.
        #expect(close(r.aggregate, [1.0, 6.0, -0.4]))
        #expect(r.decision.weights! == [0.1, 0.3, 0.6])
        #expect(r.decision.kept == ["client-0", "client-1", "client-2"] && r.decision.dropped.isEmpty)
    }

    @Test func weightedMeanFormReproducesEverySubsetAggregate() throws {
        let rule = FedAvg()
        let all = input(updates, counts: counts)
        let mean = try #require(rule.weightedMeanPath(all))
        #expect(mean.weights == [10, 30, 60])
        for mask in UInt64(1)..<8 {
            let direct = rule.aggregate(all.subset(mask)).aggregate
            let c = mean.coefficients(members: mask)
            var viaWeights = [Float](repeating: 0, count: 3)
            for i in 0..<3 { Vector.addScaled(&viaWeights, mean.vectors[i], c[i]) }
            #expect(close(direct, viaWeights), "mask \(mask)")
        }
    }

    @Test func emptyInputAggregatesToZeroAndSaysSo() {
        let r = FedAvg().aggregate(input(updates, counts: counts).subset(0))
        #expect(r.aggregate == [0, 0, 0])
        #expect(r.decision.applied == "none" && r.decision.fallbackReason == "no updates")
    }

    @Test func dropFlaggedLeavesFlaggedClientsOutAndGivesThemWeightZero() throws {
        let i = input(updates, counts: counts, flagged: [false, true, false], drop: true)
        let r = FedAvg().aggregate(i)
        // (10·u0 + 60·u2) / 70 by hand.
        #expect(close(r.aggregate, [10.0 / 70, 480.0 / 70, 20.0 / 70]))
        #expect(r.decision.dropped == [.init(client: "client-1", reason: "flagged")])
        #expect(r.decision.weights! == [1.0 / 7, 0, 6.0 / 7])
        #expect(try #require(FedAvg().weightedMeanPath(i)).weights == [10, 0, 60])
        // Only flagging (no drop) changes nothing.
        #expect(close(FedAvg().aggregate(input(updates, counts: counts, flagged: [false, true, false])).aggregate, [1.0, 6.0, -0.4]))
    }
}
