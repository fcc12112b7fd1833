import Foundation
import Testing
@testable import Attribution

@Test func ranksGiveTiesTheMinimumRank() {
    #expect(AttributionRecord.ranks([0.5, 0.9, 0.5, -1, 0.9]) == [3, 1, 3, 5, 1])
    #expect(AttributionRecord.ranks([2, 2, 2]) == [1, 1, 1])
    #expect(AttributionRecord.ranks([]) == [])
}

@Test func cumulativeSumsAcrossRoundsWithAbsentClients() throws {
    let book = try AttributionBook(directory: nil, evaluators: ["loo", "cosine"])
    try book.record(round: 1, clients: ["a", "b", "c"], sampleCounts: [10, 20, 30],
                    values: ["loo": [0.1, 0.2, 0.3], "cosine": [1, 0, -1]])
    // b is absent in round 2.
    let round2 = try book.record(round: 2, clients: ["a", "c"], sampleCounts: [10, 30],
                                 values: ["loo": [0.25, 0.05], "cosine": [0.5, 0.5]])
    try book.record(round: 3, clients: ["b", "c"], sampleCounts: [20, 30], values: ["loo": [-0.5, 0.125]])
    #expect(book.cumulative(evaluator: "loo", client: "a") == 0.1 + 0.25)
    #expect(book.cumulative(evaluator: "loo", client: "b") == 0.2 + -0.5)
    #expect(book.cumulative(evaluator: "loo", client: "c") == 0.3 + 0.05 + 0.125)
    #expect(book.cumulative(evaluator: "cosine", client: "b") == 0)
    #expect(book.cumulative(evaluator: "cosine", client: "c") == -0.5)
    #expect(book.cumulative(evaluator: "loo", client: "nobody") == 0)
    #expect(round2.map(\.rank) == [1, 2, 1, 1])   // loo a>c; cosine tie
    #expect(round2.map(\.evaluator) == ["loo", "loo", "cosine", "cosine"])
    #expect(book.ranks(round: 3, evaluator: "loo") == ["b": 2, "c": 1])
}

@Test func bookRejectsUnknownEvaluatorAndMiscountedValues() throws {
    let book = try AttributionBook(directory: nil, evaluators: ["loo"])
    // Values for an evaluator the book was not built with: unknownEvaluatorValues.
    #expect(throws: AttributionError.unknownEvaluatorValues(name: "banzhaf", known: ["loo"])) {
        try book.record(round: 1, clients: ["a"], sampleCounts: [1], values: ["banzhaf": [1]])
    }
    // Two values for three clients: inputMismatch on "values".
    #expect(throws: AttributionError.inputMismatch(evaluator: "loo", field: "values", expected: 3, found: 2)) {
        try book.record(round: 1, clients: ["a", "b", "c"], sampleCounts: [1, 1, 1], values: ["loo": [1, 2]])
    }
}

@Test func attributionFileRoundTripsDoublesExactlyWithSortedKeys() throws {
    let dir = try TemporaryDirectory("book")
    defer { dir.remove() }
    let tricky = [0.1 + 0.2, 1e-300, -2.5e-7, 123456789.123456789, 1.0 / 3.0, Double.leastNonzeroMagnitude, 0]
    let clients = tricky.indices.map { "c\($0)" }
    do {
        let book = try AttributionBook(directory: dir.path, evaluators: ["shapley-exact"])
        try book.record(round: 1, clients: clients, sampleCounts: tricky.indices.map { $0 * 10 }, values: ["shapley-exact": tricky])
        try book.record(round: 2, clients: ["c0"], sampleCounts: [5], values: ["shapley-exact": [0.7]])
    }
    let lines = try dir.read(AttributionBook.fileName).split(separator: "\n").map(String.init)
    #expect(lines.count == tricky.count + 1)
    #expect(lines[0] == "{\"client\":\"c0\",\"cumulative\":0.30000000000000004,\"evaluator\":\"shapley-exact\",\"rank\":3,\"round\":1,\"samples\":0,\"value\":0.30000000000000004}")
    for (line, expected) in zip(lines, tricky) {
        let record = try AttributionRecord.parse(line)
        #expect(record.value.bitPattern == expected.bitPattern)
    }
    let last = try AttributionRecord.parse(lines.last!)
    #expect(last.cumulative == (0.1 + 0.2) + 0.7)
    // Reopening continues the cumulative values.
    let reopened = try AttributionBook(directory: dir.path, evaluators: ["shapley-exact"])
    #expect(reopened.cumulative(evaluator: "shapley-exact", client: "c0") == (0.1 + 0.2) + 0.7)
    #expect(reopened.cumulative(evaluator: "shapley-exact", client: "c3") == 123456789.123456789)
}

@Test func tablePrintsOneFixedWidthRowPerClient() throws {
    let book = try AttributionBook(directory: nil, evaluators: ["gtg-shapley", "cosine"])
    try book.record(round: 4, clients: ["client-0", "client-1"], sampleCounts: [600, 1200],
                    values: ["gtg-shapley": [0.0125, -0.003], "cosine": [0.5, 0.5]])
    let table = book.table(round: 4)
    let lines = table.split(separator: "\n").map(String.init)
    #expect(lines.count == 5)
    #expect(Set(lines.map(\.count)).count == 1)   // fixed width
    #expect(lines[0].contains("gtg-shapley") && lines[0].contains("cosine"))
    #expect(lines[3].hasPrefix("client-0"))
    #expect(lines[3].contains("+0.012500"))
    #expect(lines[4].contains("-0.003000") && lines[4].contains("1200"))
    #expect(lines[4].hasSuffix("   1"))        // cosine tie: both rank 1
    #expect(book.table(round: 99).split(separator: "\n").count == 3)   // header only
}

@Test func evaluateAndRecordRunsEveryEvaluator() throws {
    let book = try AttributionBook(directory: nil, evaluators: ["marginal", "loo"])
    let input = TestGames.input(TestGames.additive([1, 2]))
    let result = try book.evaluateAndRecord(input, with: [MarginalEvaluator(), LeaveOneOutEvaluator()])
    #expect(result.records.map(\.value) == [1, 2, 1, 2])
    #expect(Set(result.seconds.keys) == ["marginal", "loo"])
}
