import Foundation
import PKI
import Testing
@testable import Federation

/// One refusal a run must record in rounds.jsonl: round, code, client (the pipe's verified identity, as the coordinator
/// names it), optionally the unverified client the message claimed, and a reason fragment.
struct ExpectedRejection: Sendable, CustomStringConvertible {
    var round: Int
    var code: String
    var client: String?
    var claimed: String? = nil
    var reasonContains: String

    var description: String { "round \(round): \(code) from \(client ?? "-") (\(reasonContains))" }
}

/// Checks a finished run end to end: every round completed with the honest clients (and `acceptedExtra`) as its only
/// participants and nobody left out (but `unidentifiedStragglers` connections per round), exactly `rejections` refused (code, client, reason), the refusals logged, the ledger
/// holding exactly the accepted submissions (none of `refusedDigests`), and `fedattr verify` passing on the directory.
func expectRun(_ h: FederationHarness, summary: RunSummary, rejections: [ExpectedRejection],
               acceptedExtra: [Int: [String: [Float]]] = [:], refusedDigests: Set<String> = [],
               unidentifiedStragglers: [Int: Int] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let records = try h.roundRecords()
    #expect(records.map(\.round) == Array(1...h.rounds), "every round completed", sourceLocation: sourceLocation)
    #expect(summary.participantsPerRound.count == h.rounds, sourceLocation: sourceLocation)
    #expect(summary.rejectedMessages == rejections.count, sourceLocation: sourceLocation)
    let ledger = try h.ledgerEntries()
    let refusals = try h.ledgerRefusals()
    for record in records {
        let extra = acceptedExtra[record.round] ?? [:]
        let expectedParticipants = (h.honestIDs + extra.keys).sorted()
        #expect(record.participants == expectedParticipants, "round \(record.round) participants", sourceLocation: sourceLocation)
        // Only connections that never proved an identity may be left out, named by their pipe.
        let stragglers = unidentifiedStragglers[record.round] ?? 0
        #expect(record.stragglers.count == stragglers && record.stragglers.allSatisfy { $0.hasPrefix("pipe-") },
                "round \(record.round) stragglers \(record.stragglers)", sourceLocation: sourceLocation)
        let want = rejections.filter { $0.round == record.round }
        #expect(record.rejected.map(\.code) == want.map(\.code), "round \(record.round) rejection codes; reasons: \(record.rejected.map(\.reason))",
                sourceLocation: sourceLocation)
        for (got, expected) in zip(record.rejected, want) {
            #expect(got.client == expected.client, "client of \(expected)", sourceLocation: sourceLocation)
            if let claimed = expected.claimed {
                #expect(got.claimedClient == claimed, "claimed client of \(expected)", sourceLocation: sourceLocation)
            }
            #expect(got.reason.contains(expected.reasonContains), "reason '\(got.reason)' should contain '\(expected.reasonContains)'",
                    sourceLocation: sourceLocation)
        }
        // The ledger chains every refusal of the round with the digest of the refused bytes.
        let chained = refusals[record.round] ?? []
        #expect(chained.map(\.code) == record.rejected.map(\.code) && chained.map(\.messageDigest) == record.rejected.map(\.messageSha256),
                "ledger refusals of round \(record.round)", sourceLocation: sourceLocation)
        // The ledger holds exactly this round's accepted submissions.
        let entries = ledger[record.round] ?? []
        #expect(entries.map(\.client).sorted() == expectedParticipants, "ledger entries of round \(record.round)", sourceLocation: sourceLocation)
        for (client, values) in extra {
            #expect(entries.contains { $0.client == client && $0.updateDigest == updateDigestHex(values) },
                    "ledger holds \(client)'s accepted update of round \(record.round)", sourceLocation: sourceLocation)
        }
        for entry in entries {
            #expect(!refusedDigests.contains(entry.updateDigest), "refused update in the ledger: \(entry)", sourceLocation: sourceLocation)
        }
    }
    #expect(Set(ledger.keys) == Set(1...h.rounds), "one ledger record per round", sourceLocation: sourceLocation)

    let log = h.log()
    for r in rejections {
        #expect(log.contains("msg=\"message rejected\"") && log.contains("code=\(r.code)"), "log records \(r.code)",
                sourceLocation: sourceLocation)
    }

    let report = try AuditVerifier.verify(directory: h.out, caFile: h.pki.caCertificate)
    #expect(report.rounds == Array(1...h.rounds), sourceLocation: sourceLocation)
    #expect(report.entries == records.reduce(0) { $0 + $1.participants.count }, sourceLocation: sourceLocation)
}
