import Testing
@testable import Aggregation

@Suite struct CoordinateMedianTests {
    @Test func isTheMiddleValuePerCoordinateByHand() {
        #expect(CoordinateMedian().aggregate(input([[1, 10], [2, 20], [100, -5]])).aggregate == [2, 10])
        #expect(CoordinateMedian().aggregate(input([[1], [3], [10], [20]])).aggregate == [6.5])
        #expect(CoordinateMedian().aggregate(input([[1], [3], [10], [20]])).decision.weights == nil)
    }

    @Test func breaksDownAtHalfTheClients() {
        let benign: [[Float]] = [[1], [2], [3]]
        // Two of five far away: the median stays among the benign values.
        #expect(CoordinateMedian().aggregate(input(benign + [[1e6], [1e6]])).aggregate == [3])
        // Three of five: the median is the attackers' value.
        #expect(CoordinateMedian().aggregate(input([[1], [2], [1e6], [1e6], [1e6]])).aggregate == [1e6])
    }
}

@Suite struct TrimmedMeanTests {
    @Test func dropsFloorBetaNFromEachEndByHand() {
        let rule = TrimmedMean(beta: 0.2)
        // n = 5, ⌊0.2·5⌋ = 1: mean of 2, 3, 4 = 3; second coordinate: mean of 0, 1, 5 = 2.
        #expect(close(rule.aggregate(input([[1, 5], [2, -7], [3, 0], [4, 1], [100, 9]])).aggregate, [3, 2]))
        // β·n < 1 trims nothing: the plain mean.
        #expect(close(rule.aggregate(input([[1], [2], [6]])).aggregate, [3]))
    }

    @Test func toleratesTrimmedManyAttackersAndBreaksWithOneMore() {
        let rule = TrimmedMean(beta: 0.2)
        let one = rule.aggregate(input([[1], [2], [3], [4], [1e6]])).aggregate[0]
        #expect(one >= 1 && one <= 4)
        let two = rule.aggregate(input([[1], [2], [3], [1e6], [1e6]])).aggregate[0]
        #expect(two > 1e5)
    }
}

@Suite struct KrumTests {
    let line: [[Float]] = [[0], [1], [2], [3], [100]]

    @Test func scoresAndSelectionByHand() {
        // f = 1, n = 5: n − f − 2 = 2 nearest neighbours. Scores: 1+4, 1+1, 1+1, 1+4, 97²+98².
        let r = Krum(f: 1).aggregate(input(line))
        #expect(r.decision.scores["krum_score"]! == [5, 2, 2, 5, 9409 + 9604])
        #expect(r.aggregate == [1])  // tie between clients 1 and 2: the lower index
        #expect(r.decision.kept == ["client-1"])
        #expect(r.decision.dropped.map(\.client) == ["client-0", "client-2", "client-3", "client-4"])
        // Multi-Krum m = 3: clients 1, 2 and 0 (tie with 3 at score 5, lower index), averaged.
        let m = Krum(f: 1, m: 3).aggregate(input(line))
        #expect(m.aggregate == [1] && m.decision.kept == ["client-0", "client-1", "client-2"])
        // m = 0: n − f = 4 kept, the outlier left out.
        #expect(Krum(f: 1, m: 0).aggregate(input(line)).aggregate == [1.5])
    }

    @Test func colludingMajorityOfTheNeighbourhoodCapturesKrum() {
        // Breaking point: three identical attackers among five (more than f = 1) score 0 and win.
        let r = Krum(f: 1).aggregate(input([[0], [1], [2], [50], [50], [50]].dropLast()))
        #expect(r.aggregate == [1], "two colluders still lose")
        let captured = Krum(f: 1).aggregate(input([[0], [1], [50], [50], [50]]))
        #expect(captured.aggregate == [50])
    }

    @Test func tooFewUpdatesFallBackToTheMedianAndSaySo() {
        let r = Krum(f: 1).aggregate(input([[0], [1], [10], [3]]))
        #expect(r.decision.rule == "krum(f=1)" && r.decision.applied == "median")
        #expect(r.decision.fallbackReason == "krum(f=1) needs n > 2f + 2 = 4 updates, got 4")
        #expect(r.aggregate == [2])
    }

    @Test func optionsTooLargeForTheFederationAreRefused() {
        #expect(throws: AggregationError.invalidOption(.rule, name: "krum", option: "f", value: "4",
                                                       range: "0...3 for 10 clients (Krum needs n > 2f + 2)")) {
            try AggregationRegistry.make("krum(f=4)", clients: 10)
        }
        #expect((try? AggregationRegistry.make("krum(f=3)", clients: 10))?.name == "krum(f=3)")
    }
}

@Suite struct NormClippingTests {
    @Test func fixedBoundScalesLongUpdatesDownByHand() {
        let rule = NormClipping(bound: .fixed(1), inner: FedAvg())
        let r = rule.aggregate(input([[3, 4], [0.3, 0.4]]))
        // [3,4] has norm 5 → [0.6, 0.8]; the short one is kept; mean [0.45, 0.6].
        #expect(close(r.aggregate, [0.45, 0.6]))
        #expect(r.decision.scores["clip_factor"]! == [0.2, 1])
        #expect(r.decision.rule == "clip(bound=1)+fedavg")
    }

    @Test func medianMultipleUsesTheRoundsMedianNorm() {
        let rule = NormClipping(bound: .medianMultiple(2), inner: FedAvg())
        // Norms 5, 0.5, 1: median 1, bound 2 → [3,4] becomes [1.2, 1.6].
        var i = input([[3, 4], [0.3, 0.4], [0.6, 0.8]])
        rule.prepare(&i)
        #expect(abs(i.clipBound! - 2) < 1e-6)
        let expected: [Float] = [2.1 / 3, 2.8 / 3]
        #expect(close(rule.aggregate(i).aggregate, expected))
    }

    @Test func boundsOneBoostedAttackerAndComposesWithAnyRule() throws {
        let benign: [[Float]] = [[1, 0], [0.9, 0.1], [1.1, -0.1], [1, 0.05]]
        let boosted: [[Float]] = [[-1000, 0]]
        let plain = FedAvg().aggregate(input(benign + boosted)).aggregate
        #expect(plain[0] < -100)
        let clipped = NormClipping(bound: .fixed(1.2), inner: FedAvg()).aggregate(input(benign + boosted)).aggregate
        #expect(clipped[0] > 0.5)
        let rule = try AggregationRegistry.make("clip(factor=2)+trimmed-mean(beta=0.2)")
        #expect(rule.name == "clip(factor=2)+trimmed-mean(beta=0.2)")
        #expect(rule.aggregate(input(benign + boosted)).aggregate[0] > 0.5)
    }

    @Test func fixedBoundKeepsTheWeightedMeanFormAndMatchesEverySubset() throws {
        let rule = NormClipping(bound: .fixed(1), inner: FedAvg())
        let all = input([[3, 4], [0.3, 0.4], [0, -2]], counts: [1, 2, 3])
        let mean = try #require(rule.weightedMeanPath(all))
        for mask in UInt64(1)..<8 {
            let c = mean.coefficients(members: mask)
            var via = [Float](repeating: 0, count: 2)
            for i in 0..<3 { Vector.addScaled(&via, mean.vectors[i], c[i]) }
            #expect(close(rule.aggregate(all.subset(mask)).aggregate, via), "mask \(mask)")
        }
        #expect(NormClipping(bound: .medianMultiple(2), inner: FedAvg()).weightedMeanPath(all) == nil, "unprepared: bound depends on the coalition")
    }
}

@Suite struct FLTrustTests {
    func withReference(_ updates: [[Float]], _ g0: [Float]) -> AggregationInput {
        var i = input(updates)
        i.reference = g0
        return i
    }

    @Test func trustScoresAndRescalingByHand() {
        let r = FLTrust(rootSize: 10).aggregate(withReference([[2, 0], [0, 3], [-1, 0], [1, 1]], [1, 0]))
        // Trust ReLU(cos): 1, 0, 0, √½; rescaled to ‖g0‖ = 1; (1·[1,0] + √½·[√½,√½]) / (1 + √½).
        let s = Float(0.5.squareRoot())
        #expect(close(r.aggregate, [1.5 / (1 + s), 0.5 / (1 + s)]))
        #expect(r.decision.dropped.map(\.client) == ["client-1", "client-2"])
    }

    @Test func holdsAgainstAMajorityOfSignFlippersButFollowsAMisleadingRoot() {
        let honest: [Float] = [1, 0.2]
        let flipped: [Float] = [-5, -1]
        let updates = [honest, flipped, flipped, flipped, flipped]
        #expect(FLTrust(rootSize: 10).aggregate(withReference(updates, [1, 0])).aggregate[0] > 0)
        // The breaking point: a root update pointing the attackers' way trusts only them.
        #expect(FLTrust(rootSize: 10).aggregate(withReference(updates, [-1, 0])).aggregate[0] < 0)
    }

    @Test func withoutARootUpdateFallsBackToTheMedian() {
        let r = FLTrust(rootSize: 10).aggregate(input([[1], [2], [9]]))
        #expect(r.decision.applied == "median" && r.aggregate == [2])
        #expect(r.decision.fallbackReason == "fltrust(root=10) has no root update this round")
    }

    @Test func isAWeightedMeanOfRescaledUpdatesOnEverySubset() throws {
        let all = withReference([[2, 0], [0, 3], [-1, 0], [1, 1]], [1, 0])
        let mean = try #require(FLTrust(rootSize: 10).weightedMeanPath(all))
        for mask in UInt64(1)..<16 {
            let c = mean.coefficients(members: mask)
            var via = [Float](repeating: 0, count: 2)
            for i in 0..<4 { Vector.addScaled(&via, mean.vectors[i], c[i]) }
            #expect(close(FLTrust(rootSize: 10).aggregate(all.subset(mask)).aggregate, via), "mask \(mask)")
        }
    }
}

@Suite struct AggregationRegistryTests {
    @Test func parsesNamesOptionsAndCompositionIntoCanonicalNames() throws {
        #expect(try AggregationRegistry.make("fedavg").name == "fedavg")
        #expect(try AggregationRegistry.make("trimmed-mean").name == "trimmed-mean(beta=0.1)")
        #expect(try AggregationRegistry.make("multi-krum(f=2; m=4)").name == "multi-krum(f=2;m=4)")
        #expect(try AggregationRegistry.make("clip(bound=5)").name == "clip(bound=5)+fedavg")
        #expect(try AggregationRegistry.make("clip(bound=5)+clip(factor=1.5)+median").name == "clip(bound=5)+clip(factor=1.5)+median")
        #expect(try AggregationRegistry.rootSize("clip(bound=2)+fltrust(root=64)") == 64)
        #expect(try AggregationRegistry.rootSize("median") == 0)
    }

    @Test func refusesBadInputNamingKeyAndRange() {
        #expect(throws: AggregationError.invalidOption(.rule, name: "trimmed-mean", option: "beta", value: "0.5", range: "0 ≤ beta < 0.5")) {
            try AggregationRegistry.make("trimmed-mean(beta=0.5)")
        }
        #expect(throws: AggregationError.invalidOption(.rule, name: "clip", option: "bound", value: "-1", range: "bound > 0")) {
            try AggregationRegistry.make("clip(bound=-1)+median")
        }
        #expect(throws: AggregationError.unknownOption(.rule, name: "krum", option: "g", known: ["f"])) { try AggregationRegistry.make("krum(g=1)") }
        #expect(throws: AggregationError.unknownPolicy(.rule, name: "bulyan", known: AggregationRegistry.names)) { try AggregationRegistry.make("bulyan") }
        #expect(throws: AggregationError.self) { try AggregationRegistry.make("median+clip(bound=1)") }
        #expect(throws: AggregationError.self) { try AggregationRegistry.make("clip(bound=1;factor=2)") }
        #expect(throws: AggregationError.self) { try AggregationRegistry.make("krum(f=1.5)") }
        #expect(throws: AggregationError.self) { try AggregationRegistry.make("krum(f=1") }
        let text = "\(AggregationError.invalidOption(.rule, name: "trimmed-mean", option: "beta", value: "0.5", range: "0 ≤ beta < 0.5"))"
        #expect(text == "aggregation rule 'trimmed-mean': option beta = 0.5 is out of range; valid: 0 ≤ beta < 0.5")
    }
}
