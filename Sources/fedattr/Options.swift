import ArgumentParser
import Federation

/// Options every federation command shares; each maps to a `Setting` (flag > FEDATTR_* > --config file > default).
struct SharedOptions: ParsableArguments {
    @Option(help: "YAML config file of setting: value pairs (see docs/CONFIG.md).") var config: String?
    @Option(name: .customLong("pki-dir"), help: ArgumentHelp(Setting.pkiDir.help)) var pkiDir: String?
    @Option(name: .customLong("data-dir"), help: ArgumentHelp(Setting.dataDir.help)) var dataDir: String?
    @Option(name: .customLong("log-level"), help: ArgumentHelp(Setting.logLevel.help)) var logLevel: String?
    @Option(name: .customLong("log-file"), help: ArgumentHelp(Setting.logFile.help)) var logFile: String?
    @Option(name: .customLong("blas-threads"), help: ArgumentHelp(Setting.blasThreads.help)) var blasThreads: String?
    @Option(name: .customLong("tls-engine"), help: ArgumentHelp(Setting.tlsEngine.help)) var tlsEngine: String?

    var flags: [String: String] {
        var f: [String: String] = [:]
        f[Setting.pkiDir.name] = pkiDir
        f[Setting.dataDir.name] = dataDir
        f[Setting.logLevel.name] = logLevel
        f[Setting.logFile.name] = logFile
        f[Setting.blasThreads.name] = blasThreads
        f[Setting.tlsEngine.name] = tlsEngine
        return f
    }
}

/// Options that describe the federation the coordinator runs.
struct FederationOptions: ParsableArguments {
    @Option(help: ArgumentHelp(Setting.rounds.help)) var rounds: String?
    @Option(help: ArgumentHelp(Setting.clients.help)) var clients: String?
    @Option(name: .customLong("min-clients"), help: ArgumentHelp(Setting.minClients.help)) var minClients: String?
    @Option(name: .customLong("round-deadline"), help: ArgumentHelp(Setting.roundDeadline.help)) var roundDeadline: String?
    @Option(name: .customLong("registration-timeout"), help: ArgumentHelp(Setting.registrationTimeout.help)) var registrationTimeout: String?
    @Option(help: ArgumentHelp(Setting.dataset.help)) var dataset: String?
    @Option(name: .customLong("train-limit"), help: ArgumentHelp(Setting.trainLimit.help)) var trainLimit: String?
    @Option(name: .customLong("synthetic-count"), help: ArgumentHelp(Setting.syntheticCount.help)) var syntheticCount: String?
    @Option(name: .customLong("validation-size"), help: ArgumentHelp(Setting.validationSize.help)) var validationSize: String?
    @Option(name: .customLong("test-size"), help: ArgumentHelp(Setting.testSize.help)) var testSize: String?
    @Option(help: ArgumentHelp(Setting.partition.help)) var partition: String?
    @Option(name: .customLong("partition-seed"), help: ArgumentHelp(Setting.partitionSeed.help)) var partitionSeed: String?
    @Option(help: ArgumentHelp(Setting.model.help)) var model: String?
    @Option(help: ArgumentHelp(Setting.epochs.help)) var epochs: String?
    @Option(name: .customLong("batch-size"), help: ArgumentHelp(Setting.batchSize.help)) var batchSize: String?
    @Option(name: .customLong("learning-rate"), help: ArgumentHelp(Setting.learningRate.help)) var learningRate: String?
    @Option(help: ArgumentHelp(Setting.momentum.help)) var momentum: String?
    @Option(name: .customLong("weight-decay"), help: ArgumentHelp(Setting.weightDecay.help)) var weightDecay: String?
    @Option(help: ArgumentHelp(Setting.seed.help)) var seed: String?
    @Option(help: ArgumentHelp(Setting.aggregation.help)) var aggregation: String?
    @Option(help: ArgumentHelp(Setting.evaluators.help)) var evaluators: String?
    @Option(help: ArgumentHelp(Setting.utility.help)) var utility: String?
    @Option(help: ArgumentHelp(Setting.out.help)) var out: String?
    @Option(name: .customLong("archive-updates"), help: ArgumentHelp(Setting.archiveUpdates.help)) var archiveUpdates: String?
    @Option(help: ArgumentHelp(Setting.float16.help)) var float16: String?

    var flags: [String: String] {
        let pairs: [(Setting, String?)] = [
            (.rounds, rounds), (.clients, clients), (.minClients, minClients), (.roundDeadline, roundDeadline),
            (.registrationTimeout, registrationTimeout), (.dataset, dataset), (.trainLimit, trainLimit),
            (.syntheticCount, syntheticCount), (.validationSize, validationSize), (.testSize, testSize),
            (.partition, partition), (.partitionSeed, partitionSeed), (.model, model), (.epochs, epochs),
            (.batchSize, batchSize), (.learningRate, learningRate), (.momentum, momentum), (.weightDecay, weightDecay),
            (.seed, seed), (.aggregation, aggregation), (.evaluators, evaluators), (.utility, utility), (.out, out),
            (.archiveUpdates, archiveUpdates), (.float16, float16),
        ]
        var f: [String: String] = [:]
        for (setting, value) in pairs { f[setting.name] = value }
        return f
    }
}

/// `--attacker client-N --attack NAME(…)`: one client of a local cluster attacks, the others are honest.
struct AttackOptions: ParsableArguments {
    @Option(help: ArgumentHelp(Setting.attacker.help)) var attacker: String?
    @Option(help: ArgumentHelp(Setting.attack.help)) var attack: String?

    var flags: [String: String] {
        var f: [String: String] = [:]
        f[Setting.attacker.name] = attacker
        f[Setting.attack.name] = attack
        return f
    }
}
