import Foundation
import Testing
@testable import Federation

@Suite struct OutputFormatTests {
    @Test func logfmtQuotesOnlyWhatNeedsIt() {
        #expect(LogfmtLogHandler.quote("client-1") == "client-1")
        #expect(LogfmtLogHandler.quote("two words") == "\"two words\"")
        #expect(LogfmtLogHandler.quote("a=b") == "\"a=b\"")
        #expect(LogfmtLogHandler.quote("say \"hi\"\n") == "\"say \\\"hi\\\"\\n\"")
        #expect(LogfmtLogHandler.quote("") == "\"\"")
    }

    @Test func federationSpecRoundTripsAndRefusesGarbage() throws {
        let spec = FederationSpec(dataset: "synthetic", syntheticCount: 500, trainLimit: 0, validationSize: 100,
                                  partition: "dirichlet:0.5", partitionSeed: 3, clients: 4, model: "mlp:16")
        #expect(try FederationSpec.parse(json: spec.json()) == spec)
        #expect(throws: FederationError.self) { try FederationSpec.parse(json: "{}") }
        var bad = spec
        bad.model = "transformer"
        #expect(throws: FederationError.self) { try FederationSpec.parse(json: bad.json()) }
        bad = spec
        bad.dataset = "imagenet"
        #expect(throws: FederationError.self) { try FederationSpec.parse(json: bad.json()) }
    }

    /// The on-disk keys of rounds.jsonl and summary.json (docs/OUTPUTS.md) come from the property names through
    /// RunJSON's key strategy: a line with every key decodes and encodes back byte for byte.
    @Test func roundsAndSummaryKeepTheirDocumentedKeys() throws {
        let round = #"{"aggregation":{"applied":"fedavg","dropped":[{"client":"client-3","reason":"flagged"}],"fallback":"too few","rule":"median","weights":{"client-0":0.25}},"durations_ms":{"aggregate":3,"attribution":4,"broadcast":1,"collect":2,"detect":0.5,"evaluate":5,"total":15.5},"flagged":{"client-3":["norm"]},"participants":["client-0"],"rejected":[{"claimed_client":"client-9","client":"client-1","code":"bad_signature","message_sha256":"ab12","pipe":7,"reason":"signature does not verify"}],"round":3,"sample_counts":[120],"stragglers":["client-2"],"test_accuracy":0.75,"test_loss":0.625,"time":"2026-12-01T00:00:00Z","utility_after":0.5,"utility_before":0.25,"validation_accuracy":0.875,"validation_loss":0.375}"#
        let record = try RunJSON.decoder().decode(RoundRecord.self, from: Data(round.utf8))
        #expect(record.rejected.first?.messageSha256 == "ab12" && record.rejected.first?.claimedClient == "client-9")
        #expect(record.sampleCounts == [120] && record.durationsMs.total == 15.5 && record.utilityBefore == 0.25)
        #expect(String(decoding: try RunJSON.encoder().encode(record), as: UTF8.self) == round)

        let summary = #"{"aggregation":"fedavg","clients":2,"cumulative_attribution":{"marginal":{"client-0":0.5,"client_b":-0.25}},"dataset":"synthetic","detectors":["norm"],"evaluators":["marginal"],"fallback_rounds":[2],"final_test_accuracy":0.75,"final_test_loss":0.5,"final_validation_accuracy":0.875,"flag_rates":{"norm":{"client-0":0.5}},"median_round_ms":12.5,"model":"mlp","participants_per_round":[2,1],"partition":"iid","rejected_messages":1,"rounds":2,"rounds_seconds":2.25,"seconds":3.5,"seeds":{"model":2,"partition":1,"shuffle":3}}"#
        let decoded = try RunJSON.decoder().decode(RunSummary.self, from: Data(summary.utf8))
        #expect(decoded.cumulativeAttribution["marginal"]?["client_b"] == -0.25, "client ids are data, never converted")
        #expect(decoded.medianRoundMs == 12.5 && decoded.participantsPerRound == [2, 1] && decoded.seeds?.shuffle == 3)
        #expect(decoded.roundsSeconds == 2.25)
        #expect(String(decoding: try RunJSON.encoder().encode(decoded), as: UTF8.self) == summary)
    }

    @Test func pipeTableBindsOneIdentityPerPipeAndOnePipePerIdentity() {
        let table = PipeTable()
        table.handle(.added, 1)
        table.handle(.added, 2)
        #expect(table.bind(1, to: "client-0") == nil)
        #expect(table.bind(1, to: "client-0") == nil)
        #expect(table.bind(1, to: "client-1") == .pipeBoundToOtherIdentity(pipe: 1, bound: "client-0", claimed: "client-1"))
        #expect(table.bind(2, to: "client-0") == .identityOnOtherPipe(client: "client-0", pipe: 1))
        table.handle(.removed, 1)
        #expect(table.bind(2, to: "client-0") == nil, "after its pipe closed, a client may come back on a new one")
        #expect(table.boundIdentities == ["client-0"])
    }
}
