import Adversary
import Foundation
import Learning
import Logging
import Options
import Testing
@testable import Federation

/// Starting one client as an attacker: how the settings are read and refused, and that an attacker follows the
/// protocol (signed, true sample count, accepted) in process and as a real process over TLS.
@Suite(.serialized) struct AttackerTests {
    func settings(_ flags: [String: String], env: [String: String] = [:]) throws -> Settings {
        try Settings(flags: flags, environment: env)
    }

    @Test func theAttackSettingComesFromFlagEnvironmentOrFileAndOverridesTheStrategy() throws {
        let base = ["id": "client-2"]
        #expect(try ClientConfig(settings: settings(base)).strategy == NamedOptions(name: "honest"))
        #expect(try ClientConfig(settings: settings(base.merging(["attack": "scale(k=3)"]) { $1 })).strategy
            == NamedOptions(name: "scale", values: ["k": "3"]))
        #expect(try ClientConfig(settings: settings(base, env: ["FEDATTR_ATTACK": "sign-flip"])).strategy.name == "sign-flip")
        #expect(try ClientConfig(settings: settings(base, env: ["FEDATTR_ATTACK": "none"])).strategy.name == "honest")
        let file = NSTemporaryDirectory() + "fedattr-attack-\(UUID().uuidString).yaml"
        try "attack: free-rider(mode=stale)\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try ClientConfig(settings: Settings(flags: base, environment: [:], configFile: file)).strategy
            == NamedOptions(name: "free-rider", values: ["mode": "stale"]))
    }

    @Test(arguments: [
        ("boost", "none or one of"), ("scale(factor=2)", "has no option 'factor'"), ("scale(k=x)", "out of range"),
        ("scale(k=2", "missing closing parenthesis"), ("honest", "none or one of"),
    ])
    func anUnknownAttackOrOptionIsRefusedAtStartUpWithTheValidOnes(attack: String, says: String) throws {
        do {
            _ = try ClientConfig(settings: settings(["id": "client-0", "attack": attack]))
            Issue.record("'\(attack)' was accepted")
        } catch let FederationError.invalidSetting(key, value, _, expected) {
            #expect(key == "attack" && value == attack)
            #expect(expected.contains(says), "got: \(expected)")
            #expect(expected.contains("scale") || says != "none or one of", "the valid attacks are listed")
        }
    }

    @Test func anAttackPlanNeedsBothAnAttackerInRangeAndAnAttack() throws {
        #expect(try AttackPlan.from(settings: settings([:]), clients: 3) == nil)
        #expect(try AttackPlan.from(settings: settings(["attacker": "client-2", "attack": "scale"]), clients: 3)
            == AttackPlan(attacker: "client-2", attack: NamedOptions(name: "scale")))
        for (flags, key) in [(["attacker": "client-3", "attack": "scale"], "attacker"), (["attacker": "client-1"], "attacker"),
                             (["attack": "scale"], "attack"), (["attacker": "mallory", "attack": "scale"], "attacker")] {
            do {
                _ = try AttackPlan.from(settings: settings(flags), clients: 3)
                Issue.record("\(flags) was accepted")
            } catch let FederationError.invalidSetting(got, _, _, _) {
                #expect(got == key, "\(flags)")
            }
        }
    }

    @Test(.timeLimit(.minutes(4))) func anInProcessAttackerIsAcceptedEveryRoundAndItsUpdateIsTheScaledOne() throws {
        let out = ProcessHarness.temporaryDirectory("attack-inproc") + "/run"
        let flags = ["clients": "3", "rounds": "3", "dataset": "synthetic", "synthetic-count": "1800", "validation-size": "200",
                     "test-size": "300", "model": "mlp:16", "out": out, "listen": "inproc://attack", "round-deadline": "30",
                     "archive-updates": "true", "evaluators": "marginal,shapley-exact", "attacker": "client-1", "attack": "scale(k=6)"]
        try ProcessHarness.runInProcess(flags, label: "attack")
        let rounds = ProcessHarness.jsonLines(out + "/rounds.jsonl")
        #expect(rounds.count == 3)
        for r in rounds {
            #expect((r["participants"] as? [String]) == ["client-0", "client-1", "client-2"])
            #expect((r["rejected"] as? [Any])?.isEmpty == true)
        }
        // The attacker's archived update is ≈ 6 times as long as an honest client's (same shard sizes up to the partition).
        func norm(_ client: String) throws -> Double {
            let (tensors, _) = try SafeTensors.read("\(out)/updates/round-0002-\(client).safetensors")
            return (tensors["update"] ?? []).reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        }
        let attacker = try norm("client-1"), honest = max(try norm("client-0"), try norm("client-2"))
        #expect(attacker > 3 * honest, "attacker \(attacker) vs honest \(honest)")
    }

    @Test(.timeLimit(.minutes(3))) func upStartsOneAttackerProcessWhoseLogAloneSaysSo() throws {
        let dir = ProcessHarness.temporaryDirectory("attack-up")
        let out = dir + "/run"
        let up = try ProcessHarness.start(["up", "--out", out, "--attacker", "client-1", "--attack", "sign-flip(k=2)",
                                           "--evaluators", "marginal,shapley-exact"]
                                          + ProcessHarness.smallFederation(clients: 3, rounds: 2), name: "up", logDirectory: dir)
        #expect(ProcessHarness.wait(up, timeout: 150) == 0, "fedattr up failed: \(ProcessHarness.read(dir + "/up.stderr"))")
        let rounds = ProcessHarness.jsonLines(out + "/rounds.jsonl")
        #expect(rounds.count == 2)
        #expect(rounds.allSatisfy { ($0["participants"] as? [String]) == ["client-0", "client-1", "client-2"] },
                "the attacker signs, reports its true shard size and is accepted over TLS")
        let attackerLog = ProcessHarness.read(out + "/logs/client-1.log")
        #expect(attackerLog.contains("ADVERSARIAL client") && attackerLog.contains("attack=\"sign-flip(k=2)\""))
        #expect(attackerLog.components(separatedBy: "msg=\"attack round\"").count - 1 == 2, "one line per round")
        for honest in ["client-0", "client-2"] {
            #expect(!ProcessHarness.read("\(out)/logs/\(honest).log").contains("ADVERSARIAL"))
        }
        #expect(!ProcessHarness.read(out + "/coordinator.log").contains("sign-flip"), "the coordinator is not told")
    }

    static func smallRun(_ name: String, extra: [String: String] = [:]) -> [String: String] {
        let out = ProcessHarness.temporaryDirectory(name) + "/run"
        return ["clients": "3", "rounds": "2", "dataset": "synthetic", "synthetic-count": "900", "validation-size": "100",
                "test-size": "100", "model": "mlp:16", "out": out, "listen": "inproc://\(name)", "round-deadline": "30"].merging(extra) { $1 }
    }

    /// In process, an attack whose targets or generator do not fit the data stops `simulate` with that error before
    /// a client or the coordinator starts (round 1 used to end the whole process on a precondition).
    @Test func anAttackThatCannotRunOnTheDataStopsAnInProcessRunBeforeItStarts() throws {
        let generator = ProcessHarness.temporaryDirectory("attack-misfit-gen") + "/gen.safetensors"
        try GeneratorFile.write(VAE(pixels: 100, classes: 10, latent: 2, hidden: 4, seed: 1), to: generator)
        let cases = [
            ("label-noise(targets=10)", "label-noise: targets=10 is out of range; expected integers in 0...9 separated by | (the dataset has 10 classes; 10 is not one)"),
            ("random-latents(generator=\(generator))",
             "generator \(generator): made for images of 100 pixels in 10 classes; this federation's images have 784 pixels in 10 classes"),
        ]
        for (attack, expected) in cases {
            let flags = Self.smallRun("attack-misfit", extra: ["attacker": "client-1", "attack": attack])
            do {
                try ProcessHarness.runInProcess(flags)
                Issue.record("\(attack) ran")
            } catch {
                #expect("\(error)" == expected)
            }
            #expect(!FileManager.default.fileExists(atPath: flags["out"]!), "nothing of the run was written (\(attack))")
        }
    }

    /// A strategy that throws in a round costs that round the client's update, with the error in the client's log;
    /// the coordinator finishes every round with the others.
    @Test(.timeLimit(.minutes(3))) func aStrategyThatFailsIsLoggedAndTheRunGoesOnWithoutIt() throws {
        final class Failing: UpdateStrategy, @unchecked Sendable {
            struct Broken: Error, CustomStringConvertible { var description: String { "broken on purpose" } }
            let options = NamedOptions(name: "failing")
            let isAdversarial = true
            func update(_ context: RoundContext) throws -> LocalUpdate { throw Broken() }
        }
        let flags = Self.smallRun("attack-failing", extra: ["round-deadline": "6"])  // each round waits it out for client-1
        var config = try CoordinatorConfig(settings: Settings(flags: flags, environment: [:]))
        config.printsProgress = false
        let log = ProcessHarness.temporaryDirectory("attack-failing-log") + "/run.log"
        let summary = try InProcessCluster.run(config: config, logger: try LogSink(path: log).logger(label: "test", level: .error),
                                               strategies: [1: Failing()])
        #expect(summary.rounds == 2)
        let rounds = ProcessHarness.jsonLines(flags["out"]! + "/rounds.jsonl")
        #expect(rounds.count == 2 && rounds.allSatisfy { ($0["participants"] as? [String]) == ["client-0", "client-2"] })
        let failures = ProcessHarness.read(log).split(separator: "\n").filter { $0.contains("msg=\"the strategy failed; no update sent this round\"") }
        #expect(failures.count == 2 && failures.allSatisfy { $0.contains("broken on purpose") && $0.contains("client=client-1") })
    }

    /// Over TLS, a client whose attack cannot run on the federation's data (class 10 of 10) stops after registering,
    /// naming why, and the coordinator runs its rounds without waiting out the deadline for it each round.
    @Test(.timeLimit(.minutes(3))) func aClientWhoseAttackCannotRunOnTheDataStopsAndIsNotWaitedFor() throws {
        let h = try FederationHarness(name: "attack-misfit", rounds: 2, honest: ["client-0"], clients: 2, minClients: 1,
                                      roundDeadline: 60)
        defer { h.shutdown(); h.cleanUp() }
        let misfit = try h.makeClient("client-1", strategy: try StrategyRegistry.make("label-noise(targets=10)"))
        let started = Date()
        let ended = Background { Result { try misfit.run() } }
        try h.start()
        let result = try #require(ended.wait(seconds: 60), "the client did not stop")
        #expect {
            try result.get()
        } throws: { error in
            "\(error)".contains("strategy label-noise(targets=10) cannot run on this federation's data") && "\(error)".contains("10 is not one")
        }
        let summary = try h.finish(within: 90)
        #expect(summary.rounds == 2)
        #expect(Date().timeIntervalSince(started) < 60, "a 60 s deadline was not waited out for the stopped client")
        #expect(h.log().contains("msg=\"the strategy cannot run on this federation's data; stopping\""))
    }
}
