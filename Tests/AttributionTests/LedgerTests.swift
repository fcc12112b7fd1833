import Foundation
import PKI
import Testing
@testable import Attribution

/// A stand-in signature for tests: SHA-256 over the certificate and every signed field (the real closure uses ECDSA).
private func fakeSignature(_ s: SignedSubmission) -> [UInt8] {
    var bytes = s.certificateDER + s.nonce + s.baseModelDigest + s.updateDigest + Array(s.clientID.utf8)
    withUnsafeBytes(of: s.round.littleEndian) { bytes += $0 }
    withUnsafeBytes(of: s.sampleCount.littleEndian) { bytes += $0 }
    return Digest.sha256(bytes)
}

private func check(_ s: SignedSubmission) -> Bool { fakeSignature(s) == s.signature }

/// Writes three rounds (client b absent in round 2) through AttributionBook and Ledger, as the coordinator does.
private func writeRun(_ dir: TemporaryDirectory) throws {
    let book = try AttributionBook(directory: dir.path, evaluators: ["loo", "gtg-shapley"])
    let ledger = try Ledger(directory: dir.path)
    let rounds: [(Int, [String], [Double], [Double])] = [
        (1, ["a", "b", "c"], [0.1, 0.2, 0.30000000000000004], [0.05, 1e-17, -0.25]),
        (2, ["a", "c"], [0.125, -0.0625], [0.1, 0.2]),
        (3, ["a", "b", "c"], [0.01, 0.02, 0.03], [1.0 / 3, 2.0 / 3, 0]),
    ]
    for (round, clients, loo, gtg) in rounds {
        let records = try book.record(round: round, clients: clients, sampleCounts: clients.map { _ in 100 },
                                      values: ["loo": loo, "gtg-shapley": gtg])
        let model = Digest.sha256("model \(round)")
        let entries = clients.map { client -> LedgerEntry in
            let der = Array("certificate of \(client)".utf8)
            let nonce = Digest.sha256("nonce \(round)")
            let update = Digest.sha256("update \(client) \(round)")
            let submission = SignedSubmission(round: UInt64(round), clientID: client, nonce: nonce, sampleCount: 100,
                                              baseModelDigest: model, updateDigest: update, certificateDER: der, signature: [])
            return LedgerEntry(client: client, certificateDER: der, updateDigest: update, sampleCount: 100, nonce: nonce,
                               signature: fakeSignature(submission))
        }
        try ledger.append(round: round, time: Date(timeIntervalSince1970: 1_764_000_000 + Double(round)), modelDigest: model,
                          nextModelDigest: Digest.sha256("model \(round + 1)"), entries: entries,
                          attributions: Ledger.attributions(records), utilityBefore: 0.5, utilityAfter: 0.5 + 0.01 * Double(round))
    }
}

private func problems(_ dir: TemporaryDirectory, signatureCheck: (SignedSubmission) -> Bool = check) -> [LedgerError] {
    do {
        _ = try LedgerVerifier.verify(directory: dir.path, signatureCheck: signatureCheck)
        return []
    } catch let failure as LedgerVerificationFailure {
        return failure.problems
    } catch {
        return [.unreadable(path: "?", reason: "\(error)")]
    }
}

private func editLine(_ dir: TemporaryDirectory, _ file: String, _ line: Int, _ edit: (String) -> String) throws {
    var lines = try dir.read(file).split(separator: "\n").map(String.init)
    lines[line - 1] = edit(lines[line - 1])
    try dir.write(file, lines.joined(separator: "\n") + "\n")
}

@Test func untouchedRunVerifies() throws {
    let dir = try TemporaryDirectory("ledger")
    defer { dir.remove() }
    try writeRun(dir)
    let report = try LedgerVerifier.verify(directory: dir.path, signatureCheck: check)
    #expect(report.records == 3)
    #expect(report.rounds == [1, 2, 3])
    #expect(report.entries == 8)
    #expect(report.attributionValues == 16)
    #expect(report.attributionLines == 16)
    let lines = try dir.read(Ledger.fileName).split(separator: "\n").map(String.init)
    // Genesis, chain, and digest = SHA-256 of the line with its digest member removed (an independent computation).
    #expect(lines[0].contains("\"prev\":\"\(String(repeating: "0", count: 64))\""))
    for (index, line) in lines.enumerated() {
        let cut = try #require(line.range(of: ",\"digest\":\"", options: .backwards))
        let canonical = String(line[..<cut.lowerBound]) + "}"
        let digest = String(line[cut.upperBound...].dropLast(2))
        #expect(Digest.hex(Digest.sha256(canonical)) == digest)
        if index > 0 {
            let previous = lines[index - 1]
            let previousDigest = String(previous[previous.range(of: ",\"digest\":\"", options: .backwards)!.upperBound...].dropLast(2))
            #expect(line.contains("\"prev\":\"\(previousDigest)\""))
        }
    }
    #expect(report.headDigest == (try Ledger(directory: dir.path)).lastDigest)
}

@Test func editedAttributionValueIsNamed() throws {
    let dir = try TemporaryDirectory("ledger")
    defer { dir.remove() }
    try writeRun(dir)
    // Line 8 is round 2, loo, client c (round 1 has 6 lines; round 2 lists loo a, loo c, gtg a, gtg c).
    try editLine(dir, AttributionBook.fileName, 8) { $0.replacingOccurrences(of: "\"value\":-0.0625", with: "\"value\":-0.0624") }
    let found = problems(dir)
    #expect(found.contains(.valueMismatch(line: 8, round: 2, evaluator: "loo", client: "c", ledger: -0.0625, attribution: -0.0624)))
    let text = LedgerVerificationFailure(problems: found).description
    #expect(text.contains("attribution.jsonl line 8: round 2, evaluator loo, client c: value -0.0624 but the ledger records -0.0625"))
}

@Test func editedLedgerValueIsNamed() throws {
    let dir = try TemporaryDirectory("ledger")
    defer { dir.remove() }
    try writeRun(dir)
    try editLine(dir, Ledger.fileName, 3) { $0.replacingOccurrences(of: "\"value\":0.6666666666666666", with: "\"value\":0.7") }
    let found = problems(dir)
    #expect(found.count == 2)
    guard case let .digestMismatch(line, round, _, _) = found.first else {
        Issue.record("expected a digest mismatch first, got \(found)")
        return
    }
    #expect(line == 3 && round == 3)
    // The cross-check pinpoints the altered value.
    #expect(found.contains(.valueMismatch(line: 15, round: 3, evaluator: "gtg-shapley", client: "b", ledger: 0.7, attribution: 0.6666666666666666)))
}

@Test func rewrittenRecordWithFreshDigestBreaksTheChain() throws {
    let dir = try TemporaryDirectory("ledger")
    defer { dir.remove() }
    try writeRun(dir)
    // An attacker changes a utility in record 2 and recomputes that record's digest: record 3's prev no longer matches.
    try editLine(dir, Ledger.fileName, 2) { line in
        let edited = line.replacingOccurrences(of: "\"utility_after\":0.52", with: "\"utility_after\":0.9")
        let cut = edited.range(of: ",\"digest\":\"", options: .backwards)!
        let canonical = String(edited[..<cut.lowerBound]) + "}"
        return String(edited[..<cut.upperBound]) + Digest.hex(Digest.sha256(canonical)) + "\"}"
    }
    let found = problems(dir)
    #expect(found.count == 1)
    guard case let .chainBroken(line, round, _, _) = found.first else {
        Issue.record("expected a broken chain, got \(found)")
        return
    }
    #expect(line == 3 && round == 3)
}

@Test func reorderedRecordsBreakTheChain() throws {
    let dir = try TemporaryDirectory("ledger")
    defer { dir.remove() }
    try writeRun(dir)
    var lines = try dir.read(Ledger.fileName).split(separator: "\n").map(String.init)
    lines.swapAt(1, 2)
    try dir.write(Ledger.fileName, lines.joined(separator: "\n") + "\n")
    let found = problems(dir)
    #expect(found.contains { if case .chainBroken(2, 3, _, _) = $0 { return true } else { return false } })
    #expect(found.contains { if case .chainBroken(3, 2, _, _) = $0 { return true } else { return false } })
    #expect(found.contains(.roundNotIncreasing(line: 3, previous: 3, found: 2)))
}

@Test func deletedRecordBreaksTheChainAndOrphansItsValues() throws {
    let dir = try TemporaryDirectory("ledger")
    defer { dir.remove() }
    try writeRun(dir)
    var lines = try dir.read(Ledger.fileName).split(separator: "\n").map(String.init)
    lines.remove(at: 1)
    try dir.write(Ledger.fileName, lines.joined(separator: "\n") + "\n")
    let found = problems(dir)
    #expect(found.contains { if case .chainBroken(2, 3, _, _) = $0 { return true } else { return false } })
    #expect(found.contains(.notInLedger(line: 8, round: 2, evaluator: "loo", client: "c", value: -0.0625)))
}

@Test func deletedAttributionLineIsReported() throws {
    let dir = try TemporaryDirectory("ledger")
    defer { dir.remove() }
    try writeRun(dir)
    var lines = try dir.read(AttributionBook.fileName).split(separator: "\n").map(String.init)
    lines.remove(at: 0)
    try dir.write(AttributionBook.fileName, lines.joined(separator: "\n") + "\n")
    let found = problems(dir)
    #expect(found.contains(.missingFromAttribution(ledgerLine: 1, round: 1, evaluator: "loo", client: "a", value: 0.1)))
}

@Test func failingSignatureCheckIsReported() throws {
    let dir = try TemporaryDirectory("ledger")
    defer { dir.remove() }
    try writeRun(dir)
    let found = problems(dir) { submission in
        submission.clientID == "b" && submission.round == 3 ? false : check(submission)
    }
    #expect(found == [.signatureInvalid(line: 3, round: 3, client: "b")])
    #expect(found[0].description == "ledger.jsonl line 3 (round 3), client b: signature does not verify")
    // The closure sees exactly what was signed.
    var seen: [SignedSubmission] = []
    _ = try LedgerVerifier.verify(directory: dir.path) { seen.append($0); return check($0) }
    #expect(seen.count == 8)
    #expect(seen[0].baseModelDigest == Digest.sha256("model 1"))
    #expect(seen[0].certificateDER == Array("certificate of a".utf8))
}

@Test func nonCanonicalButUnchangedRecordIsReported() throws {
    let dir = try TemporaryDirectory("ledger")
    defer { dir.remove() }
    try writeRun(dir)
    // Same value written differently (0.5 → 0.50): digest still matches the canonical form, but the bytes are not canonical.
    try editLine(dir, Ledger.fileName, 1) { $0.replacingOccurrences(of: "\"utility_before\":0.5", with: "\"utility_before\":0.50") }
    #expect(problems(dir) == [.nonCanonical(line: 1, round: 1)])
}

@Test func malformedLinesAndMissingFilesAreReported() throws {
    let dir = try TemporaryDirectory("ledger")
    defer { dir.remove() }
    // No ledger at all: unreadable.
    #expect(problems(dir).first == .unreadable(path: dir.file(Ledger.fileName), reason: "missing or unreadable"))
    try writeRun(dir)
    try editLine(dir, Ledger.fileName, 2) { String($0.dropLast(5)) }
    let found = problems(dir)
    #expect(found.contains { if case .malformedLine("ledger.jsonl", 2, _) = $0 { return true } else { return false } })
    try FileManager.default.removeItem(atPath: dir.file(AttributionBook.fileName))
    #expect(problems(dir).contains(.unreadable(path: dir.file(AttributionBook.fileName), reason: "missing or unreadable")))
}

@Test func ledgerResumesTheChainAndRefusesOldRounds() throws {
    let dir = try TemporaryDirectory("ledger")
    defer { dir.remove() }
    try writeRun(dir)
    let ledger = try Ledger(directory: dir.path)
    #expect(throws: LedgerError.roundNotIncreasing(line: 0, previous: 3, found: 3)) {
        try ledger.append(round: 3, modelDigest: [], entries: [], attributions: [], utilityBefore: 0, utilityAfter: 0)
    }
    let head = ledger.lastDigest
    let record = try ledger.append(round: 4, modelDigest: Digest.sha256("m"), entries: [], attributions: [], utilityBefore: 0.6, utilityAfter: 0.6)
    #expect(record.previousDigest == head)
    let report = try LedgerVerifier.verify(directory: dir.path, signatureCheck: check)
    #expect(report.rounds == [1, 2, 3, 4])
}
