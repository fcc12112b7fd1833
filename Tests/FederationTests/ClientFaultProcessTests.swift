import Foundation
import Testing
@testable import Federation
import PKI

/// Clients that stop answering in the middle of a run, against a real coordinator process over mutual TLS: one frozen
/// past the deadline (SIGSTOP, then SIGCONT), one killed mid-round and restarted (SIGKILL), one cut off by the network
/// (its own network namespace, link set down then up). Rounds must finish by the deadline with whoever answered,
/// naming the missing client as a straggler, and the client must take part again once it is back.
@Suite(.serialized) struct ClientFaultProcessTests {
    /// Round deadline of the frozen and cut-off tests, seconds.
    static let deadline = 2.0

    /// SIGSTOP leaves the connection up, so the coordinator keeps expecting the client: every round of the pause waits
    /// the full deadline (and no longer) and names it as a straggler; after SIGCONT it answers again.
    @Test(.timeLimit(.minutes(3))) func aClientStoppedPastTheDeadlineIsLeftOutAndAnswersAfterItContinues() throws {
        let cluster = try TLSClusterFixture("sigstop", clients: 3)
        let coordinator = try cluster.startCoordinator(clients: 3, rounds: 100_000, [
            "--round-deadline", "\(Self.deadline)", "--evaluators", "marginal"])
        var clients: [Process] = []
        defer { ProcessHarness.stop([coordinator] + clients) }
        for i in 0..<3 { clients.append(try cluster.startClient(i)) }
        #expect(ProcessHarness.eventually(timeout: 90) { Self.fullRounds(cluster) >= 2 }, "\(cluster.coordinatorLog)")

        // Rounds counted after the stop and before the continue: those in between started and ended while it was stopped.
        kill(clients[2].processIdentifier, SIGSTOP)
        let stoppedAt = cluster.rounds.count
        #expect(ProcessHarness.eventually(timeout: 60) { cluster.rounds.count >= stoppedAt + 4 })
        let continuedAt = cluster.rounds.count
        kill(clients[2].processIdentifier, SIGCONT)
        #expect(ProcessHarness.eventually(timeout: 60) { Self.participants(cluster.rounds.dropFirst(continuedAt)).contains("client-2") },
                "client-2 answers again after SIGCONT")
        kill(coordinator.processIdentifier, SIGTERM)
        #expect(ProcessHarness.wait(coordinator, timeout: 30) == 0, "\(cluster.coordinatorStderr)")

        // The round running at SIGSTOP may or may not have client-2's update; the ones started after it cannot.
        try Self.expectLeftOut("client-2", rounds: Self.rounds(cluster, after: stoppedAt, before: continuedAt))
        #expect(Self.stragglerLines(cluster).contains { $0.contains("clients=client-2") }, "\(cluster.coordinatorLog)")
    }

    /// SIGKILL closes the connection: the round in progress ends as soon as the others answered (nothing left to wait
    /// for) without the killed client; restarted, it dials again, its next update binds the new connection and counts.
    @Test(.timeLimit(.minutes(3))) func aClientKilledMidRoundAndRestartedRejoins() throws {
        let cluster = try TLSClusterFixture("sigkill", clients: 3)
        // 20 local epochs make local training take a few hundred ms, so the kill lands while client-1 trains.
        let deadline = 30.0
        let coordinator = try cluster.startCoordinator(clients: 3, rounds: 100_000, [
            "--round-deadline", "\(deadline)", "--evaluators", "marginal", "--epochs", "20"])
        var clients: [Process] = []
        defer { ProcessHarness.stop([coordinator] + clients) }
        for i in 0..<3 { clients.append(try cluster.startClient(i)) }
        #expect(ProcessHarness.eventually(timeout: 90) { Self.fullRounds(cluster) >= 2 }, "\(cluster.coordinatorLog)")

        let killedRound = cluster.rounds.count + 1
        #expect(ProcessHarness.eventually(timeout: 60) { Self.roundStarted(killedRound, cluster) })
        kill(clients[1].processIdentifier, SIGKILL)
        clients[1].waitUntilExit()
        #expect(ProcessHarness.eventually(timeout: 60) { cluster.rounds.count >= killedRound + 1 })
        clients.append(try cluster.startClient(1))
        let restartedAt = cluster.rounds.count
        #expect(ProcessHarness.eventually(timeout: 90) { Self.participants(cluster.rounds.dropFirst(restartedAt)).contains("client-1") },
                "the restarted client-1 takes part again")
        kill(coordinator.processIdentifier, SIGTERM)
        #expect(ProcessHarness.wait(coordinator, timeout: 30) == 0, "\(cluster.coordinatorStderr)")

        let killed = try #require(cluster.rounds.first { $0["round"] as? Int == killedRound })
        #expect(Self.participants([killed]) == ["client-0", "client-2"], "killed mid-round: \(killed)")
        // Named by the identity its connection had when the round started, not as an anonymous pipe-N.
        #expect((killed["stragglers"] as? [String]) == ["client-1"], "stragglers of round \(killedRound): \(killed["stragglers"] ?? "-")")
        let collect = try #require((killed["durations_ms"] as? [String: Any])?["collect"] as? Double)
        #expect(collect < deadline * 1000 / 2, "round \(killedRound) waited \(collect) ms for a client that was gone")
        let report = try AuditVerifier.verify(directory: cluster.out, caFile: cluster.pki + "/ca.crt")
        #expect(report.records == cluster.rounds.count)
    }

    /// The client runs in its own network namespace behind a veth pair and dials the coordinator's host-side address
    /// (an IP SAN of its certificate). With the link down nothing is reset, the coordinator simply hears nothing: each
    /// round waits out the deadline and names the client as a straggler. With the link up again the connection
    /// recovers (or the client redials) and the client answers later rounds.
    @Test(.timeLimit(.minutes(3)), .enabled(if: NetworkNamespace.unavailableReason == nil,
                                             "\(NetworkNamespace.unavailableReason ?? "")"))
    func aClientCutOffByTheNetworkIsLeftOutAndRejoinsWhenTheLinkReturns() throws {
        let namespace = try NetworkNamespace()
        defer { namespace.remove() }
        let cluster = try TLSClusterFixture("netcut", clients: 3, coordinatorAddresses: [namespace.hostAddress])
        let coordinator = try cluster.startCoordinator(
            federation: ["--round-deadline", "\(Self.deadline)", "--evaluators", "marginal"]
                + ProcessHarness.smallFederation(clients: 3, rounds: 100_000),
            listen: cluster.url(host: "0.0.0.0"))
        var clients: [Process] = []
        defer { ProcessHarness.stop([coordinator] + clients) }
        for i in 0..<2 { clients.append(try cluster.startClient(i)) }
        clients.append(try cluster.startClient(2, coordinator: cluster.url(host: namespace.hostAddress), launcher: namespace.launcher))
        #expect(ProcessHarness.eventually(timeout: 90) { Self.fullRounds(cluster) >= 2 },
                "client-2 joins from \(namespace.namespaceAddress): \(ProcessHarness.read(cluster.dir + "/client-2.log"))")

        try namespace.setLink(up: false)
        let cutAt = cluster.rounds.count
        #expect(ProcessHarness.eventually(timeout: 60) { cluster.rounds.count >= cutAt + 4 })
        let restoredAt = cluster.rounds.count
        try namespace.setLink(up: true)
        #expect(ProcessHarness.eventually(timeout: 90) { Self.participants(cluster.rounds.dropFirst(restoredAt)).contains("client-2") },
                "client-2 answers again once the link is back: \(ProcessHarness.read(cluster.dir + "/client-2.log"))")
        kill(coordinator.processIdentifier, SIGTERM)
        #expect(ProcessHarness.wait(coordinator, timeout: 30) == 0, "\(cluster.coordinatorStderr)")

        try Self.expectLeftOut("client-2", rounds: Self.rounds(cluster, after: cutAt, before: restoredAt))
        #expect(Self.stragglerLines(cluster).contains { $0.contains("clients=client-2") }, "\(cluster.coordinatorLog)")
        let report = try AuditVerifier.verify(directory: cluster.out, caFile: cluster.pki + "/ca.crt")
        #expect(report.records == cluster.rounds.count)
    }

    // MARK: Reading the run

    /// Rounds so far in which all three clients took part.
    static func fullRounds(_ cluster: TLSClusterFixture) -> Int {
        cluster.rounds.filter { participants([$0]) == ["client-0", "client-1", "client-2"] }.count
    }

    /// Every client that took part in any of `rounds`.
    static func participants<S: Sequence>(_ rounds: S) -> Set<String> where S.Element == [String: Any] {
        Set(rounds.flatMap { ($0["participants"] as? [String]) ?? [] })
    }

    /// Whether the coordinator logged the start of `round`.
    static func roundStarted(_ round: Int, _ cluster: TLSClusterFixture) -> Bool {
        cluster.coordinatorLog.split(separator: "\n").contains {
            $0.contains("msg=\"round started\"") && $0.split(separator: " ").contains("round=\(round)")
        }
    }

    /// The records after the first `after + 1` (the round in progress at the fault may still have the client's answer)
    /// and within the first `before` (counted before the client came back).
    static func rounds(_ cluster: TLSClusterFixture, after: Int, before: Int) -> [[String: Any]] {
        Array(cluster.rounds.prefix(before).dropFirst(after + 1))
    }

    static func stragglerLines(_ cluster: TLSClusterFixture) -> [Substring] {
        cluster.coordinatorLog.split(separator: "\n").filter { $0.contains("msg=\"stragglers left out\"") }
    }

    /// Each of `rounds` went on without `client`, named it as the only straggler, and collected for the deadline (its
    /// connection was up, so it was waited for) and not much longer (1.5 s of slack for a loaded machine).
    static func expectLeftOut(_ client: String, rounds: [[String: Any]]) throws {
        #expect(rounds.count >= 3, "\(rounds.count) rounds while \(client) was away")
        let others = Set(["client-0", "client-1", "client-2"]).subtracting([client])
        for r in rounds {
            let round = r["round"] as? Int ?? -1
            #expect(Set((r["participants"] as? [String]) ?? []) == others, "round \(round): \(r["participants"] ?? "-")")
            #expect((r["stragglers"] as? [String]) == [client], "round \(round): stragglers \(r["stragglers"] ?? "-")")
            let collect = try #require((r["durations_ms"] as? [String: Any])?["collect"] as? Double)
            // The deadline counts from the round's start, broadcast included; a round without a missing client takes ~100 ms.
            #expect(collect >= deadline * 1000 - 500, "round \(round) stopped waiting for \(client) after \(collect) ms")
            #expect(collect <= deadline * 1000 + 1500, "round \(round) collected for \(collect) ms, past the \(deadline) s deadline")
        }
    }
}
