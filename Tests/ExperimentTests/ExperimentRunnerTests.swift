import Foundation
import Logging
import Testing
@testable import Experiment
@testable import Federation

/// A small experiment end to end, in process: paired runs, separate seeds, resume, leave-one-out, results.
@Suite(.serialized) struct ExperimentRunnerTests {
    static func temporaryDirectory(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedattr-exp-\(name)-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func plan(conditions: [String], seeds: Int = 2, vary: [ExperimentPlan.SeedKind] = [.model, .shuffle]) -> ExperimentPlan {
        ExperimentPlan(conditions: conditions, seeds: seeds, attacker: "client-1", vary: vary,
                       baseSeeds: .init(partition: 7, model: 11, shuffle: 13), clients: 3, rounds: 3,
                       settings: ["clients": "3", "rounds": "3", "dataset": "synthetic", "synthetic-count": "900",
                                  "validation-size": "150", "test-size": "200", "model": "mlp:8", "round-deadline": "30",
                                  "evaluators": "marginal,loo,shapley-exact", "partition": "iid"])
    }

    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    }

    static func runner(_ plan: ExperimentPlan, _ dir: String, _ lines: Lines) -> ExperimentRunner {
        ExperimentRunner(plan: plan, directory: dir, jobs: 2, logLevel: .error, console: { lines.add($0) })
    }

    static func summary(_ path: String) throws -> RunSummary {
        try RunJSON.decode(RunSummary.self, file: path + "/summary.json")
    }

    @Test(.timeLimit(.minutes(3))) func pairedRunsRecordTheirSeedsAndResumeSkipsCompleteOnes() throws {
        let dir = Self.temporaryDirectory("paired")
        let plan = Self.plan(conditions: ["honest", "unchanged"])
        let lines = Lines()
        let first = try Self.runner(plan, dir, lines).run()
        #expect(first.ran == 4 && first.skipped == 0 && first.failed.isEmpty)
        #expect(lines.all.contains { $0.hasPrefix("[4/4]") && $0.contains("ETA") })
        for condition in plan.conditions {
            for k in 1...2 {
                let s = try Self.summary("\(dir)/\(condition)/seed-\(k)")
                #expect(s.rounds == 3)
                // Partition fixed, model and shuffle seeds base + k − 1, whatever the condition (paired).
                #expect(s.seeds == RunSummary.Seeds(partition: 7, model: 11 + UInt64(k - 1), shuffle: 13 + UInt64(k - 1)))
            }
        }
        // Different model seeds start from different models: the honest runs differ between seeds.
        let h1 = try Self.summary("\(dir)/honest/seed-1"), h2 = try Self.summary("\(dir)/honest/seed-2")
        #expect(h1.cumulativeAttribution["marginal"] != h2.cumulativeAttribution["marginal"])

        // Resume: nothing to do; then an interrupted run (no summary) is the only one redone, from an empty directory.
        #expect(try Self.runner(plan, dir, Lines()).run().ran == 0)
        try FileManager.default.removeItem(atPath: "\(dir)/unchanged/seed-2/summary.json")
        try "stale".write(toFile: "\(dir)/unchanged/seed-2/stale.txt", atomically: true, encoding: .utf8)
        let again = try Self.runner(plan, dir, Lines()).run()
        #expect(again.ran == 1 && again.skipped == 3)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/unchanged/seed-2/stale.txt"))
        #expect(try Self.summary("\(dir)/unchanged/seed-2").rounds == 3)
        // A run whose summary is there but whose attribution.jsonl is damaged (results.md could not use it) is redone too.
        let damaged = "\(dir)/honest/seed-1/attribution.jsonl"
        let handle = try #require(FileHandle(forWritingAtPath: damaged))
        handle.seekToEndOfFile()
        handle.write(Data("{not json\n{\"round\":2}\n".utf8))
        try handle.close()
        let repaired = try Self.runner(plan, dir, Lines()).run()
        #expect(repaired.ran == 1 && repaired.skipped == 3)
        #expect(try !String(contentsOfFile: damaged, encoding: .utf8).contains("{not json"))

        // Results from the raw files: the free-riding attacker (a zero update) is paired against honest runs.
        let results = try ExperimentResults(directory: dir)
        #expect(results.runs.count == 4 && results.incomplete.isEmpty)
        let effect = try #require(results.attackEffect("unchanged", evaluator: "shapley-exact"))
        #expect(effect.cumulative.differences.count == 2)
        #expect(effect.cumulative.mean < 0, "a zero update earns less credit than honest training")
        try ResultsWriter.write(results, to: dir, robust: ["loo"])
        let md = try String(contentsOfFile: dir + "/results.md", encoding: .utf8)
        #expect(md.contains("## Attacker (client-1) against `honest`") && md.contains("| unchanged | shapley-exact |"))
        let csv = try String(contentsOfFile: dir + "/results.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first.map(String.init) == ResultsWriter.csvHeader)
        #expect(csv.contains { $0.hasPrefix("paired,unchanged,honest,shapley-exact,client-1,cumulative_difference,2,") })
        #expect(csv.contains { $0.hasPrefix("attribution,honest,,marginal,client-0,cumulative,2,") })
    }

    @Test(.timeLimit(.minutes(3))) func leaveOneOutRunsLeaveTheClientOutAndGiveInfluence() throws {
        let dir = Self.temporaryDirectory("loo")
        let plan = Self.plan(conditions: ["honest", "without-client-0"], vary: [.model, .shuffle, .partition])
        let outcome = try Self.runner(plan, dir, Lines()).run()
        #expect(outcome.ran == 4)
        let rounds = try RunReport(directory: dir + "/without-client-0/seed-1").rounds
        #expect(rounds.allSatisfy { $0.participants == ["client-1", "client-2"] })
        #expect(try Self.summary(dir + "/without-client-0/seed-2").seeds?.partition == 8)
        let influence = try ExperimentResults(directory: dir).influences()
        #expect(influence.map(\.quantity) == ["test_loss", "test_accuracy"])
        #expect(influence.allSatisfy { $0.client == "client-0" && $0.wasserstein >= abs($0.meanShift) - 1e-12 })
    }

    @Test func aPlanFileThatCannotBeRunIsRefusedWhenRead() throws {
        let cases: [(seeds: Int, conditions: [String], reason: String)] = [
            (-3, ["honest"], "seeds is -3, expected 1...10000"),        // made `report` trap on an empty range
            (1_000_000, ["honest"], "seeds is 1000000, expected 1...10000"),
            (2, [], "conditions must name each condition once"),
        ]
        for c in cases {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var plan = Self.plan(conditions: ["honest"], seeds: 1, vary: [])
            plan.seeds = c.seeds
            plan.conditions = c.conditions
            try JSONEncoder().encode(plan).write(to: URL(fileURLWithPath: dir + "/" + ExperimentPlan.fileName))
            #expect(throws: FederationError.cannotRead(path: dir + "/" + ExperimentPlan.fileName, reason: "not an experiment plan: \(c.reason)")) {
                _ = try ExperimentPlan.read(from: dir)
            }
        }
    }

    @Test func planFlagsCarryTheRunsSeedsAndDirectory() {
        let plan = Self.plan(conditions: ["honest", "without-client-2"], seeds: 3, vary: [.partition])
        let f = plan.flags(for: .init(condition: "without-client-2", seed: 3), directory: "/x")
        #expect(f["partition-seed"] == "9" && f["model-seed"] == "11" && f["shuffle-seed"] == "13")
        #expect(f["out"] == "/x/without-client-2/seed-3" && f["min-clients"] == "2")
        #expect(plan.runs.map(\.path).prefix(2) == ["honest/seed-1", "without-client-2/seed-1"])
        #expect(ExperimentPlan.isAttack("scale") && !ExperimentPlan.isAttack("honest") && !ExperimentPlan.isAttack("without-client-1"))
    }

    @Test func conditionsWithPathsGetOneDirectoryEach() {
        // A generator path used to become nested directories ("attribution-first(generator=" / "tmp" / …).
        let a = "attribution-first(generator=/tmp/a/gen.safetensors)"
        let b = "attribution-first(generator=/tmp/a_gen.safetensors)"
        let da = ExperimentPlan.directoryName(of: a), db = ExperimentPlan.directoryName(of: b)
        #expect(!da.contains("/") && !db.contains("/") && da != db)
        #expect(da.hasPrefix("attribution-first(generator=_tmp_a_gen.safetensors)-"))
        #expect(ExperimentPlan.Run(condition: a, seed: 2).path == da + "/seed-2")
        #expect(ExperimentPlan.directoryName(of: "scale(factor=3;seed=1)") == "scale(factor=3;seed=1)")
        for odd in ["..", ".hidden", String(repeating: "x", count: 300), "a b"] {
            let d = ExperimentPlan.directoryName(of: odd)
            #expect(!d.hasPrefix(".") && d.utf8.count <= 100 && !d.contains("/") && !d.contains(" "))
        }
    }

    @Test func loggingBootstrapsOncePerProcess() throws {
        let sink = try LogSink(path: nil)
        _ = sink.bootstrap(level: .error)
        #expect(sink.bootstrap(level: .error) == false, "a second bootstrap changes nothing instead of crashing")
    }
}
