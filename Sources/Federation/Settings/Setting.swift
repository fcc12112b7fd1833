import Learning
import Transport

/// One configurable option: its flag name (also its config-file key), its environment variable, default and help.
public struct Setting: Sendable, Hashable {
    public let name: String
    public let defaultValue: String?
    public let help: String
    public let roles: Set<Role>

    /// Which commands read a setting.
    public enum Role: String, Sendable, Hashable { case coordinator, client, cluster }

    /// `FEDATTR_` followed by the name in upper case with dashes as underscores.
    public var environmentVariable: String {
        "FEDATTR_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    init(_ name: String, _ defaultValue: String?, _ roles: Set<Role>, _ help: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.roles = roles
        self.help = help
    }
}

extension Setting {
    static let c: Set<Role> = [.coordinator, .cluster]
    static let k: Set<Role> = [.client, .cluster]
    static let all: Set<Role> = [.coordinator, .client, .cluster]

    public static let listen = Setting("listen", "tls+tcp://0.0.0.0:7400", [.coordinator], "URL the coordinator listens on (tls+tcp://, inproc://, or tcp:// on 127.0.0.1 for tests).")
    public static let insecureTCP = Setting("insecure-tcp", "false", [.coordinator], "Allow a plain tcp:// (no TLS, no certificate checks on the connection) --listen on an address other than 127.0.0.1.")
    public static let coordinator = Setting("coordinator", "tls+tcp://localhost:7400", [.client], "URL of the coordinator a client dials.")
    public static let id = Setting("id", nil, [.client], "Client identity; must match the CN of its certificate (client-N, N = shard index).")
    public static let pkiDir = Setting("pki-dir", "pki", [.coordinator, .client], "Directory with ca.crt and <name>.pem/.key files (see `fedattr pki init`).")
    public static let serverName = Setting("server-name", nil, [.client], "Host name checked against the coordinator's certificate (default: the URL's host; 127.0.0.1 → localhost).")
    public static let rounds = Setting("rounds", "20", c, "Number of federated rounds.")
    public static let clients = Setting("clients", "10", c, "Number of data partitions (and of clients `up` starts).")
    public static let minClients = Setting("min-clients", nil, c, "Clients that must register before round 1 (default: all --clients).")
    public static let roundDeadline = Setting("round-deadline", "60", c, "Seconds a round waits for updates; later ones are logged (client, round, how late) and left out of that round.")
    public static let registrationTimeout = Setting("registration-timeout", "300", c, "Seconds to wait for --min-clients before giving up.")
    public static let unregisteredTimeout = Setting("unregistered-timeout", "10", c, "Seconds a connection may stay without registering (after it was offered a probe or task) before it is closed.")
    public static let resume = Setting("resume", "false", [.coordinator], "Continue the run in --out after its last complete round (from checkpoint.safetensors) instead of starting over (starting over moves an earlier run's files to --out/replaced-<UTC time>/).")
    public static let dataset = Setting("dataset", "fashion-mnist", c, "fashion-mnist (Debian's dataset-fashion-mnist) or synthetic.")
    public static let dataDir = Setting("data-dir", "/usr/share/datasets/fashion-mnist", all, "Directory of the Fashion-MNIST IDX .gz files.")
    public static let trainLimit = Setting("train-limit", "0", c, "Use only the first N training images for the clients (0 = all).")
    public static let syntheticCount = Setting("synthetic-count", "6000", c, "Training pool size when --dataset synthetic.")
    public static let validationSize = Setting("validation-size", "1000", c, "Images held out from the training pool as the coordinator's validation set (attribution utility).")
    public static let publicSize = Setting("public-size", "5000", c, "Training images reserved as public data that no client holds (the attacker's public generator trains on them; synthetic data: generated apart).")
    public static let testSize = Setting("test-size", "10000", c, "Test images evaluated each round (0 = all).")
    public static let partition = Setting("partition", "dirichlet:0.5", c, "iid, dirichlet:ALPHA or shards:K.")
    public static let partitionSeed = Setting("partition-seed", "1", c, "Seed of the partition and the synthetic data.")
    public static let model = Setting("model", "mlp", c, "logreg, mlp, mlp:H1,H2,… or cnn; hidden sizes up to \(ModelSpec.maxHiddenSize), at most \(ModelSpec.maxParameters) parameters (what one wire tensor carries).")
    public static let epochs = Setting("epochs", "1", c, "Local epochs per round.")
    public static let batchSize = Setting("batch-size", "32", c, "Local mini-batch size.")
    public static let learningRate = Setting("learning-rate", "0.05", c, "Local SGD learning rate.")
    public static let momentum = Setting("momentum", "0", c, "Local SGD momentum.")
    public static let weightDecay = Setting("weight-decay", "0", c, "Local SGD weight decay.")
    public static let seed = Setting("seed", "1", c, "Default of --model-seed and --shuffle-seed.")
    public static let modelSeed = Setting("model-seed", nil, c, "Seed of the global model's initialisation (default: --seed).")
    public static let shuffleSeed = Setting("shuffle-seed", nil, c, "Seed of the clients' mini-batch shuffling, varied per round and client (default: --seed).")
    public static let aggregation = Setting("aggregation", "fedavg", c, "Aggregation rule: fedavg, median, trimmed-mean(beta=0.1), krum(f=1), multi-krum(f=1;m=0), fltrust(root=100), with optional clipping in front: clip(bound=B)+RULE or clip(factor=K)+RULE (docs/AGGREGATION.md).")
    public static let detectors = Setting("detectors", "norm,cosine-aggregate,cosine-median,cosine-peers,krum-score,history", c, "Detectors run on every round's updates before aggregation, comma-separated, options as name(key=value;…), or none (docs/AGGREGATION.md).")
    public static let dropFlagged = Setting("drop-flagged", "false", c, "Leave clients any detector flagged this round out of the aggregate (detection alone only flags).")
    public static let evaluators = Setting("evaluators", "marginal,loo,shapley-exact,gtg-shapley,mr-shapley,banzhaf,cosine", c, "Attribution evaluators, comma-separated, or none; options as name(key=value;…), e.g. gtg-shapley(maxPermutations=200;seed=3) (docs/ATTRIBUTION.md).")
    public static let utility = Setting("utility", "accuracy", c, "Attribution utility on the validation set: accuracy or neg-loss.")
    public static let out = Setting("out", "run", c, "Directory for rounds.jsonl, attribution.jsonl, ledger.jsonl, summary.json.")
    public static let archiveUpdates = Setting("archive-updates", "false", c, "Archive every accepted update as safetensors under OUT/updates/.")
    public static let float16 = Setting("float16", "false", c, "Send the global model as float16 (halves the task size).")
    public static let overlapRounds = Setting("overlap-rounds", "true", c, "Score, evaluate and record each round while the next one's clients train (its task then carries the seal of the round before the last).")
    public static let logLevel = Setting("log-level", "info", all, "trace, debug, info, notice, warning, error or critical.")
    public static let logFile = Setting("log-file", nil, all, "Append logfmt lines to this file instead of standard error.")
    public static let tlsEngine = Setting("tls-engine", TLSEngine.builtInDefault.rawValue, all, "TLS library of tls+tcp://: openssl (TLS 1.3, AES-GCM; TLS 1.2 only with ECDHE+AEAD) or mbedtls (nng's built-in, TLS 1.2; for comparison). One per process.")
    public static let strategy = Setting("strategy", "honest", [.client], "How the client computes its update: honest (local SGD) or unchanged (returns the global model unchanged; for overhead benchmarks).")
    public static let attack = Setting("attack", nil, [.client, .cluster], "Run this client as an attacker: none, or NAME(key=value;…) with NAME one of attribution-first, random-latents, label-noise, duplicate, scale, sign-flip, noise-update, free-rider (docs/ATTACKS.md). Logged at start-up and every round in the client's own log only.")
    public static let attacker = Setting("attacker", nil, [.cluster], "In `up` / `simulate`: the client id (e.g. client-2) started with --attack; every other client is honest.")
    public static let consoleEvaluator = Setting("console-evaluator", "auto", c, "Evaluator of the per-round attribution block on standard output: auto (shapley-exact up to 14 participants, else gtg-shapley), a configured evaluator, or table (every evaluator, wide).")
    public static let blasThreads = Setting("blas-threads", "1", all, "OpenBLAS threads per process (the coordinator evaluates coalitions on all cores itself).")

    /// Every setting, in the order of the documentation table.
    public static let catalog: [Setting] = [
        listen, insecureTCP, coordinator, id, pkiDir, serverName, rounds, clients, minClients, roundDeadline, registrationTimeout,
        unregisteredTimeout, resume, dataset, dataDir, trainLimit, syntheticCount, validationSize, publicSize, testSize, partition, partitionSeed, model,
        epochs, batchSize, learningRate, momentum, weightDecay, seed, modelSeed, shuffleSeed, aggregation, detectors, dropFlagged, evaluators, utility, out,
        archiveUpdates, float16, overlapRounds, logLevel, logFile, tlsEngine, strategy, attack, attacker, consoleEvaluator, blasThreads,
    ]

    /// The setting whose flag or file key is `name`.
    public static func named(_ name: String) -> Setting? { catalog.first { $0.name == name } }
}
