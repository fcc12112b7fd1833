import Foundation
import Testing
@testable import Federation
import Adversary
import Aggregation

/// The `fedattr` binary reads every setting from a flag, an environment variable and the YAML file alike, its help
/// shows each option's default and variable from the `Setting` table, and `up` writes where `out` says.
@Suite struct SettingsCommandTests {
    @Test func helpNamesEveryAttackAndDefaultDetector() {
        for name in StrategyRegistry.attackNames { #expect(Setting.attack.help.contains(name), "--attack help omits \(name)") }
        #expect(Setting.detectors.defaultValue == DetectorRegistry.defaults)
    }

    /// A valid, non-default value for every setting (with spaces, colons and commas where a value may have them).
    /// A setting added to the catalog without a value here fails `everySettingResolves…`.
    static let samples: [String: String] = [
        "listen": "tcp://127.0.0.1:7499", "insecure-tcp": "true", "coordinator": "tls+tcp://coordinator.example:7401",
        "id": "client-3", "pki-dir": "/tmp/p k i", "server-name": "coordinator.example", "rounds": "7", "clients": "4",
        "min-clients": "3", "round-deadline": "12.5", "registration-timeout": "30", "unregistered-timeout": "7", "resume": "true", "dataset": "synthetic",
        "data-dir": "/data/fashion mnist", "train-limit": "500", "synthetic-count": "700", "validation-size": "50", "public-size": "60",
        "test-size": "60", "partition": "shards:2", "partition-seed": "9", "model": "mlp:32,16", "epochs": "2",
        "batch-size": "16", "learning-rate": "0.1", "momentum": "0.9", "weight-decay": "0.001", "seed": "5", "model-seed": "6", "shuffle-seed": "8",
        "aggregation": "trimmed-mean(beta=0.2)", "detectors": "norm(z=4),history(k=2;m=3)", "drop-flagged": "true",
        "evaluators": "marginal,loo", "utility": "neg-loss", "out": "/tmp/out dir",
        "archive-updates": "true", "float16": "true", "overlap-rounds": "false", "log-level": "debug", "log-file": "/tmp/fed attr.log",
        "strategy": "unchanged", "attack": "scale(k=5)", "attacker": "client-2", "blas-threads": "2", "tls-engine": "mbedtls",
        "console-evaluator": "marginal",
    ]

    /// `fedattr settings --resolve` lines as name → (value, source).
    static func resolve(_ arguments: [String], environment: [String: String] = [:]) throws -> [String: (value: String, source: String)] {
        let output = try runFedattr(["settings", "--resolve"] + arguments, environment: environment)
        var resolved: [String: (String, String)] = [:]
        let pattern = /setting=(\S+) value=(?:"(.*)"|-) source="(.*)"/
        for line in output.split(separator: "\n") {
            guard let m = try pattern.wholeMatch(in: String(line)) else {
                Issue.record("unparsable line \(line)")
                continue
            }
            resolved[String(m.1)] = (m.2.map(String.init) ?? "-", String(m.3))
        }
        return resolved
    }

    @Test func everySettingResolvesFromAFlagAnEnvironmentVariableAndTheConfigFile() throws {
        #expect(Set(Setting.catalog.map(\.name)) == Set(Self.samples.keys), "a sample value for every setting")
        let dir = try TemporaryDirectory("settings")
        defer { dir.remove() }
        let yaml = dir.path + "/config.yaml"
        try Self.samples.map { "\($0.key): \"\($0.value)\"" }.joined(separator: "\n").write(toFile: yaml, atomically: true, encoding: .utf8)

        let ways: [(name: String, arguments: [String], environment: [String: String], source: (Setting) -> String)] = [
            ("flag", Setting.catalog.flatMap { ["--\($0.name)", Self.samples[$0.name]!] }, [:], { _ in "flag" }),
            ("environment", [], Dictionary(uniqueKeysWithValues: Setting.catalog.map { ($0.environmentVariable, Self.samples[$0.name]!) }),
             { "environment \($0.environmentVariable)" }),
            ("config file", ["--config", yaml], [:], { _ in "config file \(yaml)" }),
        ]
        for way in ways {
            let resolved = try Self.resolve(way.arguments, environment: way.environment)
            for setting in Setting.catalog {
                #expect(resolved[setting.name]?.value == Self.samples[setting.name], "\(setting.name) by \(way.name)")
                #expect(resolved[setting.name]?.source == way.source(setting), "\(setting.name) by \(way.name)")
            }
        }
        // Nothing given: every setting has its documented default.
        let defaults = try Self.resolve([])
        for setting in Setting.catalog {
            #expect(defaults[setting.name]?.value == setting.defaultValue ?? "-", "default of \(setting.name)")
        }
        // Precedence: flag over environment over file.
        let mixed = try Self.resolve(["--rounds", "3", "--config", yaml], environment: ["FEDATTR_ROUNDS": "4", "FEDATTR_EPOCHS": "5"])
        #expect(mixed["rounds"]?.value == "3" && mixed["epochs"]?.value == "5" && mixed["batch-size"]?.value == "16")
    }

    /// What each setting turns into in the configuration the daemons run with, rendered as text, for the sample
    /// values (coordinator: listening on TLS so that the TLS engine matters). A setting that no config reads, or reads
    /// into the wrong field, fails here; insecure-tcp, log-level and log-file are checked by their own tests
    /// (`plainTCPOnAnAddressOtherMachinesReachNeedsTheInsecureFlag`, the daemons' log files in every process test),
    /// seed and strategy (masked here by model-seed/shuffle-seed and attack) below.
    static let effects: [(setting: Setting, expected: String, read: @Sendable (CoordinatorConfig, ClientConfig, AttackPlan?) -> String)] = [
        (.listen, "tls+tcp://0.0.0.0:7499", { c, _, _ in c.listen }),
        (.coordinator, "tls+tcp://coordinator.example:7401", { _, k, _ in k.coordinator }),
        (.id, "client-3 /tmp/p k i/client-3.pem", { _, k, _ in "\(k.id) \(k.tls?.certKeyFile ?? "-")" }),
        (.pkiDir, "/tmp/p k i/ca.crt /tmp/p k i/ca.crt", { c, k, _ in "\(c.caFile) \(k.tls?.caFile ?? "-")" }),
        (.serverName, "coordinator.example", { _, k, _ in k.tls?.serverName ?? "-" }),
        (.rounds, "7", { c, _, _ in "\(c.rounds)" }),
        (.clients, "4", { c, _, _ in "\(c.spec.clients)" }),
        (.minClients, "3", { c, _, _ in "\(c.minClients)" }),
        (.roundDeadline, "12.5", { c, _, _ in "\(c.roundDeadline)" }),
        (.registrationTimeout, "30.0", { c, _, _ in "\(c.registrationTimeout)" }),
        (.unregisteredTimeout, "7.0", { c, _, _ in "\(c.unregisteredTimeout)" }),
        (.resume, "true", { c, _, _ in "\(c.resume)" }),
        (.dataset, "synthetic", { c, _, _ in c.spec.dataset }),
        (.dataDir, "/data/fashion mnist /data/fashion mnist", { c, k, _ in "\(c.dataDirectory) \(k.dataDirectory)" }),
        (.trainLimit, "500", { c, _, _ in "\(c.spec.trainLimit)" }),
        (.syntheticCount, "700", { c, _, _ in "\(c.spec.syntheticCount)" }),
        (.validationSize, "50", { c, _, _ in "\(c.spec.validationSize)" }),
        (.publicSize, "60", { c, _, _ in "\(c.spec.publicSize)" }),
        (.testSize, "60", { c, _, _ in "\(c.testSize)" }),
        (.partition, "shards:2", { c, _, _ in c.spec.partition }),
        (.partitionSeed, "9", { c, _, _ in "\(c.spec.partitionSeed)" }),
        (.model, "mlp:32,16", { c, _, _ in c.spec.model }),
        (.epochs, "2", { c, _, _ in "\(c.hyperparameters.epochs)" }),
        (.batchSize, "16", { c, _, _ in "\(c.hyperparameters.batchSize)" }),
        (.learningRate, "0.1", { c, _, _ in "\(c.hyperparameters.learningRate)" }),
        (.momentum, "0.9", { c, _, _ in "\(c.hyperparameters.momentum)" }),
        (.weightDecay, "0.001", { c, _, _ in "\(c.hyperparameters.weightDecay)" }),
        (.modelSeed, "6", { c, _, _ in "\(c.modelSeed)" }),
        (.shuffleSeed, "8", { c, _, _ in "\(c.hyperparameters.seed)" }),
        (.aggregation, "trimmed-mean(beta=0.2)", { c, _, _ in c.aggregation }),
        (.detectors, "norm(z=4),history(k=2;m=3)", { c, _, _ in c.detectors.joined(separator: ",") }),
        (.dropFlagged, "true", { c, _, _ in "\(c.dropFlagged)" }),
        (.evaluators, "marginal,loo", { c, _, _ in c.evaluators.joined(separator: ",") }),
        (.utility, "neg-loss", { c, _, _ in c.utility.rawValue }),
        (.out, "/tmp/out dir", { c, _, _ in c.outputDirectory }),
        (.archiveUpdates, "true", { c, _, _ in "\(c.archiveUpdates)" }),
        (.float16, "true", { c, _, _ in "\(c.float16)" }),
        (.overlapRounds, "false", { c, _, _ in "\(c.overlapRounds)" }),
        (.tlsEngine, "mbedtls mbedtls", { c, k, _ in "\(c.tls?.engine.rawValue ?? "-") \(k.tls?.engine.rawValue ?? "-")" }),
        (.attack, "scale(k=5) scale(k=5)", { _, k, plan in "\(plan?.attack.description ?? "-") \(k.strategy)" }),
        (.attacker, "client-2", { _, _, plan in plan?.attacker ?? "-" }),
        (.consoleEvaluator, "marginal", { c, _, _ in c.consoleEvaluator }),
        (.blasThreads, "2 2", { c, k, _ in "\(c.blasThreads) \(k.blasThreads)" }),
    ]

    @Test func everySettingGivenByFlagEnvironmentOrConfigFileTakesEffectInTheConfigs() throws {
        let checkedElsewhere: Set<Setting> = [.insecureTCP, .logLevel, .logFile, .seed, .strategy]
        #expect(Set(Self.effects.map(\.setting)).union(checkedElsewhere) == Set(Setting.catalog), "an effect for every setting")
        var values = Self.samples
        values["listen"] = "tls+tcp://0.0.0.0:7499"
        let dir = try TemporaryDirectory("effects")
        defer { dir.remove() }
        let yaml = dir.file("config.yaml")
        try values.map { "\($0.key): \"\($0.value)\"" }.joined(separator: "\n").write(toFile: yaml, atomically: true, encoding: .utf8)
        let ways: [(String, () throws -> Settings)] = [
            ("flag", { try Settings(flags: values, environment: [:]) }),
            ("environment", { try Settings(flags: [:], environment: Dictionary(uniqueKeysWithValues: values.map {
                (Setting.named($0.key)!.environmentVariable, $0.value) })) }),
            ("config file", { try Settings(flags: [:], environment: [:], configFile: yaml) }),
        ]
        // With nothing given, every effect differs from the sample's: the sample really changed something.
        let defaults = try Settings(flags: ["id": "client-0", "attack": "none"], environment: [:])
        let base = (try CoordinatorConfig(settings: defaults), try ClientConfig(settings: defaults))
        for (way, make) in ways {
            let settings = try make()
            let coordinator = try CoordinatorConfig(settings: settings), client = try ClientConfig(settings: settings)
            let plan = try AttackPlan.from(settings: settings, clients: coordinator.spec.clients)
            for effect in Self.effects {
                #expect(effect.read(coordinator, client, plan) == effect.expected, "\(effect.setting.name) by \(way)")
                #expect(effect.read(base.0, base.1, nil) != effect.expected, "\(effect.setting.name): the default differs")
            }
        }
        // --attack takes the place of --strategy; without it, --strategy picks the baseline, by every way too.
        try "strategy: unchanged\n".write(toFile: dir.file("strategy.yaml"), atomically: true, encoding: .utf8)
        for settings in [try Settings(flags: ["id": "client-0", "strategy": "unchanged"], environment: [:]),
                         try Settings(flags: ["id": "client-0"], environment: ["FEDATTR_STRATEGY": "unchanged"]),
                         try Settings(flags: ["id": "client-0"], environment: [:], configFile: dir.file("strategy.yaml"))] {
            #expect(try ClientConfig(settings: settings).strategy.name == "unchanged")
        }
        #expect(base.1.strategy.name == "honest")
        // --seed is the default of both --model-seed and --shuffle-seed.
        let seeded = try CoordinatorConfig(settings: Settings(flags: [:], environment: ["FEDATTR_SEED": "5"]))
        #expect(seeded.modelSeed == 5 && seeded.hyperparameters.seed == 5)
        #expect(base.0.modelSeed == 1 && base.0.hyperparameters.seed == 1)
    }

    @Test func everyCommandsHelpShowsExactlyItsSettingsWithDefaultAndVariable() throws {
        let commands: [(String, Setting.Role)] = [("coordinator", .coordinator), ("client", .client), ("up", .cluster), ("simulate", .cluster)]
        for (command, role) in commands {
            let help = try runFedattr([command, "--help"]).split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for setting in Setting.catalog {
                if setting.roles.contains(role) {
                    #expect(help.contains("--\(setting.name) <"), "\(command) --help has --\(setting.name)")
                    #expect(help.contains("env: \(setting.environmentVariable))"), "\(command) --help names \(setting.environmentVariable)")
                    if let value = setting.defaultValue {
                        #expect(help.contains("default: \(value);"), "\(command) --help shows the default of --\(setting.name)")
                    }
                } else {
                    #expect(!help.contains("--\(setting.name) <"), "\(command) does not read \(setting.name), so it has no such option")
                }
            }
        }
    }

    @Test func configDocumentHoldsTheSettingsTableOfTheCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/CONFIG.md"), encoding: .utf8)
        #expect(doc.contains(SettingsTable.markdown()), "docs/CONFIG.md's table differs from `fedattr settings`: paste its output")
    }

    @Test(.timeLimit(.minutes(4))) func upWritesWhereTheEnvironmentOrTheConfigFileSaysOut() throws {
        let dir = try TemporaryDirectory("up-out")
        defer { dir.remove() }
        let federation = ["up", "--inproc", "--clients", "2", "--rounds", "1", "--dataset", "synthetic", "--synthetic-count", "400",
                          "--validation-size", "100", "--test-size", "100", "--model", "logreg", "--evaluators", "marginal"]
        _ = try runFedattr(federation, environment: ["FEDATTR_OUT": dir.path + "/from-env"], directory: dir.path)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/from-env/rounds.jsonl"))
        try "out: \(dir.path)/from-file\n".write(toFile: dir.path + "/c.yaml", atomically: true, encoding: .utf8)
        _ = try runFedattr(federation + ["--config", dir.path + "/c.yaml"], directory: dir.path)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/from-file/rounds.jsonl"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/run"), "the default directory is not used")

        // The run records its CA, so verify checks certificates without --ca, and says so when it cannot.
        let run = RunLayout(directory: dir.path + "/from-env")
        let checked = try runFedattr(["verify", run.directory])
        #expect(checked.contains("certificates checked against \(run.caCertificate)") && !checked.contains("SKIPPED"), "\(checked)")
        try FileManager.default.removeItem(atPath: run.caCertificate)
        try FileManager.default.removeItem(atPath: run.pki.directory)
        let unchecked = try runFedattr(["verify", run.directory])
        #expect(unchecked.contains("warning: certificate checks SKIPPED") && unchecked.contains("--ca"), "\(unchecked)")
    }
}

/// Runs the `fedattr` binary with a clean FEDATTR_* environment plus `environment`; returns standard output, throws
/// with standard error on a nonzero exit.
func runFedattr(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> String {
    try Tool.output(try fedattrExecutable(), arguments, environment: environment, directory: directory)
}
