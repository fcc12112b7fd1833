import ArgumentParser
import Federation

extension Setting {
    /// The option's help: what it does, its default and its environment variable, all from the `Setting` table.
    var argumentHelp: ArgumentHelp {
        ArgumentHelp(help + " (" + (defaultValue.map { "default: \($0); " } ?? "") + "env: \(environmentVariable))")
    }
}

/// Where a daemon's certificates and keys are (coordinator and client; `up` and `simulate` make their own PKI).
struct PKIOptions: ParsableArguments {
    @Option(name: .customLong("pki-dir"), parsing: .unconditional, help: Setting.pkiDir.argumentHelp) var pkiDir: String?

    var flags: [String: String] { settingFlags([(.pkiDir, pkiDir)]) }
}

/// The coordinator daemon's own options.
struct CoordinatorOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: Setting.listen.argumentHelp) var listen: String?
    @Option(name: .customLong("insecure-tcp"), parsing: .unconditional, help: Setting.insecureTCP.argumentHelp) var insecureTCP: String?
    @Option(parsing: .unconditional, help: Setting.resume.argumentHelp) var resume: String?

    var flags: [String: String] {
        settingFlags([(.listen, listen), (.insecureTCP, insecureTCP), (.resume, resume)])
    }
}

/// The client daemon's options.
struct ClientOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: Setting.id.argumentHelp) var id: String?
    @Option(parsing: .unconditional, help: Setting.coordinator.argumentHelp) var coordinator: String?
    @Option(name: .customLong("server-name"), parsing: .unconditional, help: Setting.serverName.argumentHelp) var serverName: String?
    @Option(parsing: .unconditional, help: Setting.strategy.argumentHelp) var strategy: String?

    var flags: [String: String] {
        settingFlags([(.id, id), (.coordinator, coordinator), (.serverName, serverName), (.strategy, strategy)])
    }
}

/// Options every federation command shares; each maps to a `Setting` (flag > FEDATTR_* > --config file > default).
struct SharedOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "YAML config file of setting: value pairs (see docs/CONFIG.md).") var config: String?
    @Option(name: .customLong("data-dir"), parsing: .unconditional, help: Setting.dataDir.argumentHelp) var dataDir: String?
    @Option(name: .customLong("log-level"), parsing: .unconditional, help: Setting.logLevel.argumentHelp) var logLevel: String?
    @Option(name: .customLong("log-file"), parsing: .unconditional, help: Setting.logFile.argumentHelp) var logFile: String?
    @Option(name: .customLong("blas-threads"), parsing: .unconditional, help: Setting.blasThreads.argumentHelp) var blasThreads: String?
    @Option(name: .customLong("tls-engine"), parsing: .unconditional, help: Setting.tlsEngine.argumentHelp) var tlsEngine: String?

    var flags: [String: String] {
        settingFlags([(.dataDir, dataDir), (.logLevel, logLevel), (.logFile, logFile), (.blasThreads, blasThreads),
                      (.tlsEngine, tlsEngine)])
    }
}

/// Options that describe the federation the coordinator runs.
struct FederationOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: Setting.rounds.argumentHelp) var rounds: String?
    @Option(parsing: .unconditional, help: Setting.clients.argumentHelp) var clients: String?
    @Option(name: .customLong("min-clients"), parsing: .unconditional, help: Setting.minClients.argumentHelp) var minClients: String?
    @Option(name: .customLong("round-deadline"), parsing: .unconditional, help: Setting.roundDeadline.argumentHelp) var roundDeadline: String?
    @Option(name: .customLong("registration-timeout"), parsing: .unconditional, help: Setting.registrationTimeout.argumentHelp) var registrationTimeout: String?
    @Option(name: .customLong("unregistered-timeout"), parsing: .unconditional, help: Setting.unregisteredTimeout.argumentHelp) var unregisteredTimeout: String?
    @Option(parsing: .unconditional, help: Setting.dataset.argumentHelp) var dataset: String?
    @Option(name: .customLong("train-limit"), parsing: .unconditional, help: Setting.trainLimit.argumentHelp) var trainLimit: String?
    @Option(name: .customLong("synthetic-count"), parsing: .unconditional, help: Setting.syntheticCount.argumentHelp) var syntheticCount: String?
    @Option(name: .customLong("validation-size"), parsing: .unconditional, help: Setting.validationSize.argumentHelp) var validationSize: String?
    @Option(name: .customLong("public-size"), parsing: .unconditional, help: Setting.publicSize.argumentHelp) var publicSize: String?
    @Option(name: .customLong("test-size"), parsing: .unconditional, help: Setting.testSize.argumentHelp) var testSize: String?
    @Option(parsing: .unconditional, help: Setting.partition.argumentHelp) var partition: String?
    @Option(name: .customLong("partition-seed"), parsing: .unconditional, help: Setting.partitionSeed.argumentHelp) var partitionSeed: String?
    @Option(parsing: .unconditional, help: Setting.model.argumentHelp) var model: String?
    @Option(parsing: .unconditional, help: Setting.epochs.argumentHelp) var epochs: String?
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: Setting.batchSize.argumentHelp) var batchSize: String?
    @Option(name: .customLong("learning-rate"), parsing: .unconditional, help: Setting.learningRate.argumentHelp) var learningRate: String?
    @Option(parsing: .unconditional, help: Setting.momentum.argumentHelp) var momentum: String?
    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: Setting.weightDecay.argumentHelp) var weightDecay: String?
    @Option(parsing: .unconditional, help: Setting.seed.argumentHelp) var seed: String?
    @Option(name: .customLong("model-seed"), parsing: .unconditional, help: Setting.modelSeed.argumentHelp) var modelSeed: String?
    @Option(name: .customLong("shuffle-seed"), parsing: .unconditional, help: Setting.shuffleSeed.argumentHelp) var shuffleSeed: String?
    @Option(parsing: .unconditional, help: Setting.aggregation.argumentHelp) var aggregation: String?
    @Option(parsing: .unconditional, help: Setting.detectors.argumentHelp) var detectors: String?
    @Option(name: .customLong("drop-flagged"), parsing: .unconditional, help: Setting.dropFlagged.argumentHelp) var dropFlagged: String?
    @Option(parsing: .unconditional, help: Setting.evaluators.argumentHelp) var evaluators: String?
    @Option(parsing: .unconditional, help: Setting.utility.argumentHelp) var utility: String?
    @Option(parsing: .unconditional, help: Setting.out.argumentHelp) var out: String?
    @Option(name: .customLong("archive-updates"), parsing: .unconditional, help: Setting.archiveUpdates.argumentHelp) var archiveUpdates: String?
    @Option(parsing: .unconditional, help: Setting.float16.argumentHelp) var float16: String?
    @Option(name: .customLong("overlap-rounds"), parsing: .unconditional, help: Setting.overlapRounds.argumentHelp) var overlapRounds: String?
    @Option(name: .customLong("console-evaluator"), parsing: .unconditional, help: Setting.consoleEvaluator.argumentHelp) var consoleEvaluator: String?

    var flags: [String: String] {
        let pairs: [(Setting, String?)] = [
            (.rounds, rounds), (.clients, clients), (.minClients, minClients), (.roundDeadline, roundDeadline),
            (.registrationTimeout, registrationTimeout), (.unregisteredTimeout, unregisteredTimeout), (.dataset, dataset), (.trainLimit, trainLimit),
            (.syntheticCount, syntheticCount), (.validationSize, validationSize), (.publicSize, publicSize), (.testSize, testSize),
            (.partition, partition), (.partitionSeed, partitionSeed), (.model, model), (.epochs, epochs),
            (.batchSize, batchSize), (.learningRate, learningRate), (.momentum, momentum), (.weightDecay, weightDecay),
            (.seed, seed), (.modelSeed, modelSeed), (.shuffleSeed, shuffleSeed), (.aggregation, aggregation), (.detectors, detectors), (.dropFlagged, dropFlagged), (.evaluators, evaluators), (.utility, utility), (.out, out),
            (.archiveUpdates, archiveUpdates), (.float16, float16), (.overlapRounds, overlapRounds), (.consoleEvaluator, consoleEvaluator),
        ]
        return settingFlags(pairs)
    }
}

/// The values given on the command line, keyed by setting name (options left out are absent).
func settingFlags(_ pairs: [(Setting, String?)]) -> [String: String] {
    var flags: [String: String] = [:]
    for (setting, value) in pairs { flags[setting.name] = value }
    return flags
}

/// `--attack NAME(…)`: a client daemon that attacks (docs/ATTACKS.md).
struct AttackOption: ParsableArguments {
    @Option(parsing: .unconditional, help: Setting.attack.argumentHelp) var attack: String?

    var flags: [String: String] { settingFlags([(.attack, attack)]) }
}

/// `--attacker client-N --attack NAME(…)`: one client of a local cluster attacks, the others are honest.
struct AttackOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: Setting.attacker.argumentHelp) var attacker: String?
    @OptionGroup var attack: AttackOption

    var flags: [String: String] { settingFlags([(.attacker, attacker)]).merging(attack.flags) { $1 } }
}
