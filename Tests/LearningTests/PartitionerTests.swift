import Foundation
import Testing
@testable import Learning

@Suite struct PartitionerTests {
    static let labels: [Int32] = (0..<1000).map { Int32($0 % 10) }

    static func histogram(_ part: [Int]) -> [Int] {
        var h = [Int](repeating: 0, count: 10)
        for i in part { h[Int(labels[i])] += 1 }
        return h
    }

    @Test(arguments: [PartitionScheme.iid, .dirichlet(alpha: 0.1), .dirichlet(alpha: 100), .shards(perClient: 2)])
    func disjointCoveringDeterministic(scheme: PartitionScheme) {
        let parts = Partitioner.partition(labels: Self.labels, classCount: 10, clients: 7, scheme: scheme, seed: 3)
        #expect(parts.count == 7)
        #expect(parts.flatMap { $0 }.sorted() == Array(0..<1000))
        #expect(Partitioner.partition(labels: Self.labels, classCount: 10, clients: 7, scheme: scheme, seed: 3) == parts)
        #expect(Partitioner.partition(labels: Self.labels, classCount: 10, clients: 7, scheme: scheme, seed: 4) != parts)
    }

    @Test func iidSizesAreEven() {
        let parts = Partitioner.partition(labels: Self.labels, classCount: 10, clients: 3, scheme: .iid, seed: 1)
        #expect(parts.map(\.count) == [333, 333, 334])
    }

    /// Mean over clients of the largest class share: ≈ 0.1 for uniform labels, → 1 when each client holds one class.
    static func dominance(_ parts: [[Int]]) -> Double {
        parts.filter { !$0.isEmpty }.map { Double(histogram($0).max()!) / Double($0.count) }.reduce(0, +) / Double(parts.count)
    }

    @Test func dirichletAlphaControlsSkew() {
        let skewed = Partitioner.partition(labels: Self.labels, classCount: 10, clients: 10, scheme: .dirichlet(alpha: 0.05), seed: 1)
        let uniform = Partitioner.partition(labels: Self.labels, classCount: 10, clients: 10, scheme: .dirichlet(alpha: 1000), seed: 1)
        #expect(Self.dominance(skewed) > 0.5)
        #expect(Self.dominance(uniform) < 0.2)
        #expect(skewed.allSatisfy { !$0.isEmpty })
    }

    @Test func shardsGiveEachClientAtMostKLabels() {
        // 1000 samples, 10 clients × 2 shards of 50; every class fills exactly two shards.
        let parts = Partitioner.partition(labels: Self.labels, classCount: 10, clients: 10, scheme: .shards(perClient: 2), seed: 2)
        #expect(parts.allSatisfy { $0.count == 100 })
        #expect(parts.allSatisfy { Self.histogram($0).filter { $0 > 0 }.count <= 2 })
        #expect(parts.contains { Self.histogram($0).filter { $0 > 0 }.count == 2 })
    }

    @Test func gammaSamplerHasTheRightMean() {
        var rng = SeededGenerator(seed: 5)
        for shape in [0.3, 1.0, 4.5] {
            let n = 20_000
            let samples = (0..<n).map { _ in rng.gamma(shape: shape) }
            let mean = samples.reduce(0, +) / Double(n)
            let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            #expect(abs(mean - shape) < 0.05 * shape, "shape \(shape): mean \(mean)")           // Gamma(k, 1): mean k
            #expect(abs(variance - shape) < 0.1 * shape, "shape \(shape): variance \(variance)") // and variance k
        }
    }

    @Test func schemeParsing() throws {
        #expect(try PartitionScheme(parsing: "iid") == .iid)
        #expect(try PartitionScheme(parsing: "dirichlet:0.5") == .dirichlet(alpha: 0.5))
        #expect(try PartitionScheme(parsing: "shards:2") == .shards(perClient: 2))
        #expect(PartitionScheme.dirichlet(alpha: 0.5).description == "dirichlet:0.5")
        #expect(throws: PartitionSchemeError.unknownScheme(text: "random")) { try PartitionScheme(parsing: "random") }
        #expect(throws: PartitionSchemeError.badParameter(text: "dirichlet:-1", reason: "alpha must be a positive number")) {
            try PartitionScheme(parsing: "dirichlet:-1")
        }
        #expect(throws: PartitionSchemeError.badParameter(text: "dirichlet", reason: "missing ':<value>'")) { try PartitionScheme(parsing: "dirichlet") }
        #expect(throws: PartitionSchemeError.badParameter(text: "shards:0", reason: "shards per client must be an integer ≥ 1")) {
            try PartitionScheme(parsing: "shards:0")
        }
        #expect(throws: PartitionSchemeError.badParameter(text: "iid:3", reason: "iid takes no parameter")) { try PartitionScheme(parsing: "iid:3") }
        let json = try JSONEncoder().encode(PartitionScheme.shards(perClient: 3))
        #expect(String(decoding: json, as: UTF8.self) == #""shards:3""#)
        #expect(try JSONDecoder().decode(PartitionScheme.self, from: json) == .shards(perClient: 3))
    }
}
