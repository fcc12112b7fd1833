import Testing
@testable import Aggregation

/// A round of 100 updates (beyond the 64 a bitmask holds): the rules, their weighted-mean form over coalitions that
/// include clients past 64, and the detectors, with five attackers among 95 benign clients.
@Suite struct HundredUpdatesTests {
    static let scaled = [7, 70], flipped = [20, 90], noisy = [99]

    static func round() -> [[Float]] {
        var updates = benignRound(clients: 100, dimension: 200, seed: 11)
        for i in scaled { updates[i] = Vector.scaled(updates[i], 10) }
        for i in flipped { updates[i] = Vector.scaled(updates[i], -1) }
        var state: UInt64 = 5
        updates[noisy[0]] = updates[noisy[0]].map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
        return updates
    }

    static var benignMean: [Float] {
        let benign = benignRound(clients: 100, dimension: 200, seed: 11)
        let attackers = Set(scaled + flipped + noisy)
        return FedAvg().aggregate(input(benign.indices.filter { !attackers.contains($0) }.map { benign[$0] })).aggregate
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let na = a.reduce(0.0) { $0 + Double($1) * Double($1) }, nb = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return dot / (na * nb).squareRoot()
    }

    @Test func detectorsCheckEveryClientAndFlagTheAttackersPast64() throws {
        let updates = Self.round()
        let stage = try DetectionStage(detectors: DetectorRegistry.make(DetectorRegistry.defaults.split(separator: ",").map(String.init)))
        let report = stage.run(round: 1, clients: updates.indices.map { "client-\($0)" },
                               sampleCounts: [Int](repeating: 100, count: 100), updates: updates)
        #expect(report.checks.count == 100 * 6)
        for i in Self.scaled { #expect(report.flags["client-\(i)"]?.contains("norm(z=3.5)") == true, "client-\(i)") }
        for i in Self.flipped { #expect(report.flags["client-\(i)"]?.contains("cosine-median(min=0)") == true, "client-\(i)") }
        #expect(report.flags["client-99"]?.isEmpty == false, "the noise update")
        #expect(Set(report.flags.keys) == Set((Self.scaled + Self.flipped + Self.noisy).map { "client-\($0)" }), "\(report.flags.keys.sorted())")
    }

    @Test(arguments: ["median", "trimmed-mean(beta=0.1)", "krum(f=5)", "multi-krum(f=5)", "clip(factor=1)"])
    func robustRulesAggregate100UpdatesNearTheBenignMean(rule text: String) throws {
        let rule = try AggregationRegistry.make(text, clients: 100)
        let result = rule.aggregate(input(Self.round()))
        #expect(result.decision.clients.count == 100)
        #expect(Self.cosine(result.aggregate, Self.benignMean) > 0.9, "\(text)")
        for i in Self.scaled + Self.flipped + Self.noisy where text.contains("krum") {
            #expect(!result.decision.kept.contains("client-\(i)"), "\(text) kept attacker client-\(i)")
        }
    }

    @Test func weightedMeanCoefficientsMatchTheSubsetAggregateForCoalitionsPast64() throws {
        let updates = Self.round()
        let all = input(updates, counts: (0..<100).map { 1 + $0 % 7 })
        let mean = try #require(FedAvg().weightedMeanPath(all))
        for members in [Set([0, 63, 64, 99]), Set(Array(50..<100)), Set([99])] {
            let direct = FedAvg().aggregate(all.subset(where: members.contains)).aggregate
            let c = mean.coefficients(where: members.contains)
            #expect(c.indices.allSatisfy { members.contains($0) || c[$0] == 0 })
            var combined = [Float](repeating: 0, count: 200)
            for i in 0..<100 { Vector.addScaled(&combined, mean.vectors[i], c[i]) }
            #expect(close(direct, combined), "\(members.sorted())")
        }
        // The bitmask form is the same coalition for clients below 64, and has no client past 63.
        #expect(mean.coefficients(members: 0b1001) == mean.coefficients(where: [0, 3].contains))
        #expect(all.subset(UInt64.max).count == 64)
    }
}
