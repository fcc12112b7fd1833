import Foundation
import Testing
import TestSupport

/// `fedattr experiment --processes`: each run of the experiment is a real coordinator and real client processes over
/// mutual TLS on 127.0.0.1, paired by seed like the in-process runs, and the results come from their files.
@Suite(.serialized) struct ExperimentProcessTests {
    @Test(.timeLimit(.minutes(4))) func processRunsAreTLSFederationsPairedBySeed() throws {
        let dir = ProcessHarness.temporaryDirectory("experiment-processes")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/exp"
        let console = try Tool.output(try fedattrExecutable(), [
            "experiment", "--processes", "--seeds", "1", "--conditions", "honest,scale", "--attacker", "client-1",
            "--clients", "3", "--rounds", "2", "--dataset", "synthetic", "--evaluators", "loo,shapley-exact", "--out", out,
        ])
        #expect(console.contains("as processes over tls+tcp://127.0.0.1"), "\(console)")
        #expect(console.contains("2 runs in") && console.contains("0 failed"), "\(console)")
        for condition in ["honest", "scale"] {
            let run = "\(out)/\(condition)/seed-1"
            // A coordinator process listened on TLS and three client processes wrote their own logs.
            #expect(ProcessHarness.read(run + "/coordinator.log").contains("tls+tcp://127.0.0.1"))
            for c in 0..<3 { #expect(FileManager.default.fileExists(atPath: "\(run)/logs/client-\(c).log")) }
            #expect(ProcessHarness.jsonLines(run + "/rounds.jsonl").count == 2)
        }
        // Only the attacker's own log says it attacks; the honest run of the same seed has no attacker at all.
        #expect(ProcessHarness.read(out + "/scale/seed-1/logs/client-1.log").contains("ADVERSARIAL client"))
        #expect(!ProcessHarness.read(out + "/honest/seed-1/logs/client-1.log").contains("attack"))
        let md = ProcessHarness.read(out + "/results.md")
        #expect(md.contains("## Attacker (client-1) against `honest`") && md.contains("| scale | shapley-exact |"))
    }
}
