import Adversary
import ArgumentParser
import Attribution
import Experiment
import Federation
import Foundation
import Logging

/// `fedattr experiment`: paired federations over seeds and conditions, then results.md / results.csv.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run every condition under every seed (paired), resumable, then write results.md and results.csv.",
        discussion: """
            Runs go to OUT/<condition>/seed-<k>/ with the usual files (a condition with a path or other characters gets a \
            readable name with a digest); complete runs are skipped, so an interrupted \
            experiment resumes. Conditions: honest (every client honest), without-client-N (client N takes no part: \
            leave-one-client-out), or an attack item run by --attacker, e.g. scale(k=3) (docs/ATTACKS.md). Seed k uses base + k − 1 for each varied seed \
            (--partition-seed, --model-seed, --shuffle-seed; --seed is the default of the last two).
            """)

    @OptionGroup var shared: SharedOptions
    @OptionGroup var federation: FederationOptions
    @Option(help: "Seeds per condition (k = 1…K).") var seeds = 5
    @Option(help: "Conditions, comma-separated: honest, without-client-N, or an attack item such as sign-flip or scale(k=3).") var conditions = "honest"
    @Option(help: "The client that runs the attack conditions.") var attacker = "client-2"
    @Option(help: "Seeds varied with k, comma-separated: partition, model, shuffle.") var vary = "model,shuffle"
    @Flag(name: .customLong("leave-one-out"), help: "Add a without-client-N condition for every client (client-level influence).") var leaveOneOut = false
    @Option(help: "Runs at a time (default: the number of cores).") var jobs: Int?
    @Flag(help: "Run each federation as TLS processes (fedattr coordinator + clients) instead of in process over inproc://.") var processes = false
    @Option(help: "Evaluators reported as attribution-robust candidates against exact Shapley in results.md.") var robust = "large-coalition-shapley,excess-clipped-shapley,class-supported-shapley"

    func run() throws {
        var flags = shared.flags.merging(federation.flags) { $1 }
        flags[Setting.out.name] = flags[Setting.out.name] ?? "experiment"
        let settings = try Settings(flags: flags, configFile: shared.config)
        let logger = try Daemon.logger(label: "experiment", settings: settings)
        let directory = try settings.directory(.out)
        // Check the settings once up front, as a run would.
        let config = try CoordinatorConfig(settings: settings)
        var runSettings: [String: String] = [:]
        for setting in Setting.catalog where setting.roles.contains(.coordinator) || setting.roles.contains(.cluster) {
            if [Setting.out, .listen, .logFile, .pkiDir].contains(setting) { continue }
            if let v = settings.string(setting), settings.source(setting) != .defaultValue { runSettings[setting.name] = v }
        }
        let clients = config.spec.clients
        var names = conditions.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if leaveOneOut {
            for i in 0..<clients where !names.contains("without-client-\(i)") { names.append("without-client-\(i)") }
        }
        guard !names.isEmpty else { throw ValidationError("--conditions names no condition (e.g. honest,sign-flip)") }
        guard Set(names).count == names.count else { throw ValidationError("--conditions must name each condition once") }
        if names.contains(where: ExperimentPlan.isAttack) {
            let attackerIndex = try DataSplits.shardIndex(of: attacker)
            guard attackerIndex < clients else { throw ValidationError("--attacker \(attacker) is not one of client-0…client-\(clients - 1)") }
        }
        for name in names {
            if let absent = ExperimentPlan.absentClient(name) {
                guard let i = try? DataSplits.shardIndex(of: absent), i < clients, clients > 1 else {
                    throw ValidationError("condition \(name): \(absent) is not one of client-0…client-\(clients - 1)")
                }
            } else if ExperimentPlan.isAttack(name) {
                _ = try StrategyRegistry.make(name)
            }
        }
        let kinds = try vary.split(separator: ",").map { raw -> ExperimentPlan.SeedKind in
            guard let k = ExperimentPlan.SeedKind(rawValue: raw.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--vary: '\(raw)' is not partition, model or shuffle")
            }
            return k
        }
        for name in robust.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            let base = String(name.prefix { $0 != "(" })
            guard EvaluatorRegistry.names.contains(base) else {
                throw ValidationError("--robust: '\(name)' is not an evaluator (\(EvaluatorRegistry.names.joined(separator: ", ")))")
            }
        }
        guard (1...ExperimentPlan.maxSeeds).contains(seeds) else { throw ValidationError("--seeds must be in 1...\(ExperimentPlan.maxSeeds)") }
        let plan = ExperimentPlan(conditions: names, seeds: seeds, attacker: attacker, vary: kinds,
                                  baseSeeds: .init(partition: config.spec.partitionSeed, model: config.modelSeed, shuffle: config.hyperparameters.seed),
                                  clients: clients, rounds: config.rounds, settings: runSettings)
        if let existing = try? ExperimentPlan.read(from: directory), existing.settings != plan.settings || existing.attacker != plan.attacker
            || existing.vary != plan.vary || existing.baseSeeds != plan.baseSeeds {
            throw ValidationError("\(directory)/experiment.json was written with other settings; resume with the same settings or use another --out")
        }
        let mode: ExperimentRunner.Mode = processes
            ? .processes(executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path) : .inProcess
        let level = Logger.Level(rawValue: settings.string(.logLevel) ?? "info") ?? .info
        let runner = ExperimentRunner(plan: plan, directory: directory, mode: mode,
                                      jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, logLevel: level)
        let outcome = try runner.run()
        logger.info("experiment finished", metadata: ["ran": "\(outcome.ran)", "skipped": "\(outcome.skipped)",
                                                      "failed": "\(outcome.failed.count)", "runs_per_minute": "\(outcome.runsPerMinute)"])
        let results = try ExperimentResults(directory: directory)
        let robustNames = robust.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let written = try ResultsWriter.write(results, to: directory, robust: robustNames)
        print("results: \(written.joined(separator: ", "))")
        if !outcome.failed.isEmpty {
            for f in outcome.failed { print("failed: \(f)") }
            throw ExitCode(1)
        }
    }
}
