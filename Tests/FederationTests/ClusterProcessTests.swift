import Foundation
import Testing
import Attribution
@testable import Federation
import PKI

/// Real coordinator and client processes over real mutual TLS on 127.0.0.1.
@Suite(.serialized) struct ClusterProcessTests {
    @Test(.timeLimit(.minutes(3))) func upRunsAFullFederationWhoseShapleyValuesAreEfficientAndWhoseLedgerVerifies() throws {
        let dir = ProcessHarness.temporaryDirectory("up")
        let out = dir + "/run"
        let up = try ProcessHarness.start(["up", "--out", out] + ProcessHarness.smallFederation(clients: 3, rounds: 3),
                                          name: "up", logDirectory: dir)
        let status = ProcessHarness.wait(up, timeout: 150)
        #expect(status == 0, "fedattr up failed: \(ProcessHarness.read(dir + "/up.stderr"))")

        let rounds = ProcessHarness.jsonLines(out + "/rounds.jsonl")
        #expect(rounds.count == 3)
        for r in rounds {
            #expect((r["participants"] as? [String]) == ["client-0", "client-1", "client-2"])
        }
        let attribution = ProcessHarness.jsonLines(out + "/attribution.jsonl")
        #expect(attribution.count == 3 * 7 * 3, "3 rounds × 7 evaluators × 3 clients")
        // Efficiency: each round's exact Shapley values sum to v(all) = U(w_t + A(all)) − U(w_t).
        for r in rounds {
            let round = r["round"] as! Int
            let sum = attribution.filter { $0["round"] as? Int == round && $0["evaluator"] as? String == "shapley-exact" }
                .reduce(0.0) { $0 + ($1["value"] as! Double) }
            let gain = (r["utility_after"] as! Double) - (r["utility_before"] as! Double)
            #expect(abs(sum - gain) < 1e-5, "round \(round): Σφ = \(sum), v(all) = \(gain)")
        }
        #expect(ProcessHarness.read(dir + "/up.stdout").contains("round 3/3"), "progress is printed per round")
        let log = ProcessHarness.read(out + "/coordinator.log")
        #expect(log.contains("msg=\"round finished\"") && log.contains("round=3"))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        #expect((summary["rounds"] as? Int) == 3)

        // The ledger verifies, and editing one attribution value breaks verification.
        let report = try AuditVerifier.verify(directory: out, caFile: out + "/pki/ca.crt")
        #expect(report.records == 3 && report.entries == 9)
        var lines = ProcessHarness.read(out + "/attribution.jsonl").split(separator: "\n").map(String.init)
        let tampered = try #require(JSONSerialization.jsonObject(with: Data(lines[4].utf8)) as? [String: Any])
        let valueText = try #require(lines[4].firstMatch(of: /"value":(-?[0-9.eE+-]+)/)?.1)
        let value = try #require(Double(valueText))  // as the verifier parses it (JSONSerialization may round differently)
        lines[4] = lines[4].replacingOccurrences(of: "\"value\":\(valueText)", with: "\"value\":\(value + 0.125)")
        try (lines.joined(separator: "\n") + "\n").write(toFile: out + "/attribution.jsonl", atomically: true, encoding: .utf8)
        #expect {
            try AuditVerifier.verify(directory: out, caFile: nil)
        } throws: { error in
            (error as? LedgerVerificationFailure)?.problems.first == .valueMismatch(
                line: 5, round: tampered["round"] as! Int, evaluator: tampered["evaluator"] as! String,
                client: tampered["client"] as! String, ledger: value, attribution: value + 0.125)
        }
    }

    @Test(.timeLimit(.minutes(3))) func aStalledThenKilledClientIsLeftOutAfterTheDeadlineAndTheFederationGoesOn() throws {
        let cluster = try TLSClusterFixture("kill", clients: 3)
        let coordinator = try cluster.startCoordinator(clients: 3, rounds: 14, [
            "--round-deadline", "2", "--registration-timeout", "60", "--evaluators", "marginal,shapley-exact"])
        var clients: [Process] = []
        defer { ProcessHarness.stop([coordinator] + clients) }
        for i in 0..<3 { clients.append(try cluster.startClient(i)) }
        #expect(ProcessHarness.eventually(timeout: 60) { cluster.rounds.count >= 1 })
        kill(clients[2].processIdentifier, SIGSTOP)
        // A stopped client keeps its connection but never answers: the round ends at the deadline without it.
        #expect(ProcessHarness.eventually(timeout: 30) {
            cluster.rounds.contains { ($0["stragglers"] as? [String]) == ["client-2"] }
        })
        kill(clients[2].processIdentifier, SIGKILL)
        let status = ProcessHarness.wait(coordinator, timeout: 90)
        #expect(status == 0, "\(cluster.coordinatorStderr)")

        let rounds = cluster.rounds
        #expect(rounds.count == 14)
        let straggling = rounds.first { ($0["stragglers"] as? [String]) == ["client-2"] }!
        #expect((straggling["participants"] as? [String]) == ["client-0", "client-1"])
        let total = (straggling["durations_ms"] as! [String: Any])["total"] as! Double
        #expect(total >= 1900, "the straggler round waited for the 2 s deadline (took \(total) ms)")
        let last = rounds.last!
        #expect((last["participants"] as? [String]) == ["client-0", "client-1"], "the killed client stays out")
        #expect(cluster.coordinatorLog.contains("msg=\"stragglers left out\""))
    }

    @Test(.timeLimit(.minutes(3))) func aClientKilledWhileTrainingIsLeftOutOfThatRoundWhichStillCompletes() throws {
        let cluster = try TLSClusterFixture("sigkill", clients: 3)
        // 100 local epochs make a round's training long enough (about a second) to kill a client in the middle of it.
        let coordinator = try cluster.startCoordinator(clients: 3, rounds: 4, [
            "--round-deadline", "30", "--epochs", "100", "--evaluators", "marginal"])
        var clients: [Process] = []
        defer { ProcessHarness.stop([coordinator] + clients) }
        for i in 0..<3 { clients.append(try cluster.startClient(i)) }
        // Kill client-2 as soon as round 2's task is out, while it trains.
        #expect(ProcessHarness.eventually(timeout: 90) {
            cluster.coordinatorLog.split(separator: "\n").contains { $0.contains("msg=\"round started\"") && $0.contains("round=2") }
        })
        kill(clients[2].processIdentifier, SIGKILL)
        let status = ProcessHarness.wait(coordinator, timeout: 120)
        #expect(status == 0, "\(cluster.coordinatorStderr)")
        let rounds = cluster.rounds
        #expect(rounds.count == 4, "the federation finished all rounds")
        // The coordinator's record, not client-2's log (which may lag its last send), says which round it died in:
        // normally round 2 (killed mid-training); round 3 if it had just answered round 2 on a fast machine.
        let participants = rounds.map { $0["participants"] as? [String] ?? [] }
        let firstWithout = try #require(participants.firstIndex { !$0.contains("client-2") }, "client-2 left out of some round")
        #expect((1...2).contains(firstWithout), "client-2 was killed in round 2 (or right after answering it): \(participants)")
        #expect(participants[..<firstWithout].allSatisfy { $0 == ["client-0", "client-1", "client-2"] })
        #expect(participants[firstWithout...].allSatisfy { $0 == ["client-0", "client-1"] },
                "the round the client died in completes without it, and so do the rest: \(participants)")
    }

    @Test(.timeLimit(.minutes(3))) func clientsStartedBeforeTheCoordinatorConnectAndALateClientJoinsALaterRound() throws {
        let cluster = try TLSClusterFixture("late", clients: 3)
        var clients: [Process] = []
        for i in 0..<2 { clients.append(try cluster.startClient(i)) }
        // The clients find no coordinator yet: they say so and keep dialing with backoff.
        #expect(ProcessHarness.eventually(timeout: 20) {
            ProcessHarness.read(cluster.dir + "/client-0.log").contains("cannot connect to coordinator yet")
        })
        let coordinator = try cluster.startCoordinator(clients: 3, rounds: 80, [
            "--min-clients", "2", "--round-deadline", "10", "--evaluators", "marginal,loo"])
        defer { ProcessHarness.stop([coordinator] + clients) }
        #expect(ProcessHarness.eventually(timeout: 60) { cluster.rounds.count >= 1 })
        clients.append(try cluster.startClient(2))
        let status = ProcessHarness.wait(coordinator, timeout: 120)
        #expect(status == 0, "\(cluster.coordinatorStderr)")
        let rounds = cluster.rounds
        #expect((rounds.first?["participants"] as? [String]) == ["client-0", "client-1"])
        let joined = rounds.firstIndex { ($0["participants"] as? [String])?.contains("client-2") == true }
        #expect(joined != nil, "client-2 never took part")
        if let joined {
            #expect(joined >= 1)
            #expect(rounds[joined...].allSatisfy { ($0["participants"] as? [String])?.count == 3 }, "once joined, it stays")
        }
        // The coordinator's finish message ends the clients too.
        for (i, client) in clients.enumerated() {
            #expect(ProcessHarness.wait(client, timeout: 15) == 0, "client-\(i) did not exit by itself")
            let log = ProcessHarness.read("\(cluster.dir)/client-\(i).log")
            #expect(log.contains("msg=\"federation finished; exiting\""))
            // Losing the connection after that is expected and said so, not announced as a reconnect.
            let afterFinish = log.components(separatedBy: "msg=\"federation finished; exiting\"").last ?? ""
            #expect(!afterFinish.contains("reconnecting\""), "client-\(i): \(afterFinish)")
        }
    }

    @Test(.timeLimit(.minutes(3))) func interruptingUpStopsEveryProcessItStarted() throws {
        let dir = ProcessHarness.temporaryDirectory("sigint")
        let out = dir + "/run"
        let up = try ProcessHarness.start(["up", "--out", out, "--round-deadline", "5"] + ProcessHarness.smallFederation(clients: 3, rounds: 100000),
                                          name: "up", logDirectory: dir)
        defer { ProcessHarness.stop([up]) }
        #expect(ProcessHarness.eventually(timeout: 90) { ProcessHarness.jsonLines(out + "/rounds.jsonl").count >= 2 })
        #expect(Self.processes(mentioning: out).count == 5, "up, a coordinator and three clients run")
        kill(up.processIdentifier, SIGINT)
        let status = ProcessHarness.wait(up, timeout: 30)
        #expect(status == 130)
        #expect(ProcessHarness.eventually(timeout: 10) { Self.processes(mentioning: out).isEmpty },
                "left running: \(Self.processes(mentioning: out))")
        #expect(ProcessHarness.read(dir + "/up.stdout").contains("interrupted"))
    }

    /// Process ids whose command line mentions `text` (read from /proc).
    static func processes(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(text)
        }
    }
}
