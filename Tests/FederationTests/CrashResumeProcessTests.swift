import Foundation
import Learning
import Testing
@testable import Federation
import PKI

/// The coordinator process is SIGKILLed at random moments of several rounds and restarted with `--resume`; the clients
/// reconnect by themselves. The finished run must hold every round exactly once, verify, and end at the same model as
/// an uninterrupted run of the same settings.
@Suite(.serialized) struct CrashResumeProcessTests {
    @Test(.timeLimit(.minutes(5))) func aCoordinatorKilledAtRandomPointsResumesWithEveryRoundExactlyOnce() throws {
        let rounds = 12  // room for three kills that each wait for a round of the coordinator they stop
        // 10 local epochs make a round take a few hundred ms, so kills land in collection, attribution and writing.
        // mr-shapley with decay carries state across rounds (λ_t counts from its first round): the checkpoint keeps it.
        let flags = ["--round-deadline", "30", "--epochs", "10", "--evaluators", "marginal,loo,shapley-exact,mr-shapley(decay=0.5)"]

        // The reference: the same federation, uninterrupted.
        let reference = try TLSClusterFixture("resume-ref", clients: 3)
        let refCoordinator = try reference.startCoordinator(clients: 3, rounds: rounds, flags)
        var refClients: [Process] = []
        for i in 0..<3 { refClients.append(try reference.startClient(i)) }
        defer { ProcessHarness.stop([refCoordinator] + refClients) }
        #expect(ProcessHarness.wait(refCoordinator, timeout: 120) == 0, "\(reference.coordinatorStderr)")
        // Resumed after its last round (as when killed while writing the summary, its clients gone): nothing to wait for.
        let finished = try reference.startCoordinator(clients: 3, rounds: rounds, flags + ["--resume", "true"])
        #expect(ProcessHarness.wait(finished, timeout: 60) == 0, "\(reference.coordinatorStderr)")
        #expect(reference.coordinatorLog.contains("msg=\"nothing left to run: the checkpoint holds every round\""))
        #expect(reference.rounds.count == rounds)

        let cluster = try TLSClusterFixture("resume", clients: 3)
        var coordinator = try cluster.startCoordinator(clients: 3, rounds: rounds, flags)
        var clients: [Process] = []
        var coordinators = [coordinator]
        defer { ProcessHarness.stop(coordinators + clients) }
        for i in 0..<3 { clients.append(try cluster.startClient(i)) }
        var generator = SystemRandomNumberGenerator()
        var roundsAtStart = 0
        for kill in 1...3 {
            // Each resumed coordinator finishes a round of its own before it is killed, so it has logged `resuming`: with
            // fast rounds the previous kill can land two rounds late, and a count already reached killed the next
            // coordinator during its start-up (2 of 3 resumes logged, seen from a fresh clone).
            #expect(ProcessHarness.eventually(timeout: 90) { cluster.rounds.count >= max(2 * kill, roundsAtStart + 1) })
            // Within about a round, as long as the last one took: a longer pause let an unloaded run finish all 9 rounds
            // before the third kill, and the coordinator resumed after the last round then waited for clients that had
            // left; a fixed 300 ms still spanned four 70 ms rounds on a fast machine, so the second kill came after
            // round 12 and the third waited in vain for a 13th.
            let lastRound = (cluster.rounds.last?["durations_ms"] as? [String: Any])?["total"] as? Double ?? 100
            usleep(UInt32.random(in: 0...UInt32(min(max(lastRound, 1), 600) * 1000), using: &generator))
            Glibc.kill(coordinator.processIdentifier, SIGKILL)
            coordinator.waitUntilExit()
            roundsAtStart = cluster.rounds.count
            coordinator = try cluster.startCoordinator(clients: 3, rounds: rounds, flags + ["--resume", "true"])
            coordinators.append(coordinator)
        }
        #expect(ProcessHarness.wait(coordinator, timeout: 150) == 0, "\(cluster.coordinatorStderr)")
        #expect(cluster.coordinatorLog.components(separatedBy: "msg=resuming").count - 1 == 3)

        let records = cluster.rounds
        #expect(records.map { $0["round"] as? Int } == (1...rounds).map { $0 }, "rounds.jsonl: \(records.map { $0["round"]! })")
        let attribution = ProcessHarness.jsonLines(cluster.out + "/attribution.jsonl")
        for round in 1...rounds {
            let lines = attribution.filter { $0["round"] as? Int == round }
            let keys = Set(lines.map { "\($0["evaluator"]!)/\($0["client"]!)" })
            #expect(lines.count == keys.count && keys.count == 4 * 3, "round \(round): \(lines.count) attribution lines")
        }
        let ledger = ProcessHarness.jsonLines(cluster.out + "/ledger.jsonl")
        #expect(ledger.map { $0["round"] as? Int } == (1...rounds).map { $0 })
        let report = try AuditVerifier.verify(directory: cluster.out, caFile: cluster.pki + "/ca.crt")
        #expect(report.records == rounds)

        // Every round had all three clients, and round seeds derive from the round number: same model as uninterrupted.
        #expect(records.allSatisfy { ($0["participants"] as? [String])?.count == 3 })
        let resumed = try SafeTensors.read(cluster.out + "/checkpoint.safetensors").tensors["parameters"]!
        let uninterrupted = try SafeTensors.read(reference.out + "/checkpoint.safetensors").tensors["parameters"]!
        #expect(resumed == uninterrupted, "final models differ")
        // And so the same attribution, mr-shapley's decayed values included (a restarted λ would be 2^k times larger).
        func values(_ out: String) -> [String: Double] {
            var map: [String: Double] = [:]
            for line in ProcessHarness.jsonLines(out + "/attribution.jsonl") {
                map["\(line["round"]!)/\(line["evaluator"]!)/\(line["client"]!)"] = line["value"] as? Double
            }
            return map
        }
        let resumedValues = values(cluster.out), referenceValues = values(reference.out)
        #expect(resumedValues.count == rounds * 4 * 3 && Set(resumedValues.keys) == Set(referenceValues.keys))
        for (key, value) in resumedValues where key.contains("mr-shapley") || key.contains("shapley-exact") {
            #expect(abs(value - referenceValues[key]!) <= 1e-12 * max(1, abs(value)), "\(key): \(value) vs \(referenceValues[key]!)")
        }
        #expect(try String(contentsOfFile: cluster.out + "/summary.json", encoding: .utf8).contains("\"rounds\" : \(rounds)"))
    }
}
