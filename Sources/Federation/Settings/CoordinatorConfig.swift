import Aggregation
import Attribution
import Foundation
import Learning
import Options
import PKI
import Transport
import Wire

/// Everything the coordinator daemon needs, resolved and checked.
public struct CoordinatorConfig: Sendable {
    public var listen: String
    public var tls: TLSSettings?
    public var caFile: String
    /// The coordinator's key and certificate, which seal the ledger (`<pki-dir>/coordinator.key`, `.crt`).
    public var sealKeyFile: String
    public var sealCertificateFile: String
    public var rounds: Int
    public var minClients: Int
    public var roundDeadline: Double
    public var registrationTimeout: Double
    public var unregisteredTimeout: Double
    /// Continue the run in `outputDirectory` after its last checkpointed round.
    public var resume: Bool
    /// How long a round whose files cannot be written is kept in memory and retried before the run stops.
    public var writeRetrySeconds: Double = 60
    public var spec: FederationSpec
    public var dataDirectory: String
    public var testSize: Int
    public var hyperparameters: Hyperparameters
    /// Seed of the initial global model; `hyperparameters.seed` is the shuffling seed, `spec.partitionSeed` the partition's.
    public var modelSeed: UInt64
    /// The aggregation rule's canonical text (options spelled out), checked against the registry and `minClients`.
    public var aggregation: String
    /// Canonical detector names, in the order they run (history last); empty with `none`.
    public var detectors: [String]
    public var dropFlagged: Bool
    public var evaluators: [String]
    /// Per-evaluator options from `name(key=value;key=value)` items of the evaluators setting.
    public var evaluatorOptions: [String: [String: Double]]
    /// Default evaluators that enumerate all 2^N coalitions and were left out because --clients exceeds their limit.
    public var evaluatorsLeftOut: [String] = []
    public var utility: Utility
    public var outputDirectory: String
    public var archiveUpdates: Bool
    public var float16: Bool
    /// Round r's bookkeeping (attribution, evaluation, files) runs while round r+1's clients train.
    public var overlapRounds: Bool
    /// Seconds each overlapped bookkeeping waits before it starts (tests: makes it overlap the next round's collection).
    var bookkeepingDelay: Double = 0
    public var blasThreads: Int
    /// Print a progress line and the attribution table per round on standard output (off for in-process tests).
    public var printsProgress = true
    /// The evaluator of the per-round console block, `auto` (AttributionBlock.automatic) or `table` for all of them.
    public var consoleEvaluator: String
    /// `consoleEvaluator` value that prints the wide table of every evaluator.
    public static let consoleTable = "table"

    /// What the attribution game measures on the validation set.
    public enum Utility: String, Sendable { case accuracy, negLoss = "neg-loss" }

    public init(settings s: Settings) throws {
        listen = try s.required(.listen)
        let pki = PKILayout(directory: try s.required(.pkiDir))
        caFile = pki.caCertificate
        sealKeyFile = pki.key(PKILayout.coordinatorName)
        sealCertificateFile = pki.certificate(PKILayout.coordinatorName)
        let url = try s.transportURL(.listen)
        if let host = url.host, !url.usesTLS, !["127.0.0.1", "::1", "localhost"].contains(host), !(try s.bool(.insecureTCP)) {
            throw s.invalid(.listen, listen, "tls+tcp:// for a coordinator other machines reach: plain \(url.scheme):// has no TLS, "
                            + "so it is only for tests on 127.0.0.1 (to accept it on '\(host)' anyway, set --insecure-tcp true)")
        }
        tls = url.usesTLS
            ? TLSSettings(caFile: caFile, certKeyFile: pki.bundle(PKILayout.coordinatorName), engine: try s.tlsEngine()) : nil
        rounds = try s.int(.rounds, range: 1...1_000_000)
        spec = try FederationSpec(settings: s)
        minClients = s.string(.minClients) == nil ? spec.clients : try s.int(.minClients, range: 1...10_000)
        guard minClients <= spec.clients else {
            throw s.invalid(.minClients, "\(minClients)", "at most --clients (\(spec.clients)): only client-0…client-\(spec.clients - 1) can register")
        }
        roundDeadline = try s.double(.roundDeadline, range: 0.01...86_400)
        registrationTimeout = try s.double(.registrationTimeout, range: 0...86_400 * 7)
        unregisteredTimeout = try s.double(.unregisteredTimeout, range: 0.1...86_400)
        resume = try s.bool(.resume)
        dataDirectory = try s.required(.dataDir)
        testSize = try s.int(.testSize, range: 0...10_000_000)
        hyperparameters = Hyperparameters(
            epochs: UInt32(try s.int(.epochs, range: 1...10_000)),
            batchSize: UInt32(try s.int(.batchSize, range: 1...100_000)),
            learningRate: Float(try s.double(.learningRate, range: 0...100)),
            momentum: Float(try s.double(.momentum, range: 0...0.999999)),
            weightDecay: Float(try s.double(.weightDecay, range: 0...10)),
            seed: UInt64(try s.int(s.string(.shuffleSeed) == nil ? .seed : .shuffleSeed, range: 0...Int.max)))
        modelSeed = UInt64(try s.int(s.string(.modelSeed) == nil ? .seed : .modelSeed, range: 0...Int.max))
        let rule = try s.required(.aggregation)
        do {
            aggregation = try AggregationRegistry.make(rule, clients: minClients).name
            spec.rootSize = try AggregationRegistry.rootSize(rule)
        } catch {
            throw s.invalid(.aggregation, rule, "a rule with options in range (\(error))")
        }
        guard !(try s.list(.detectors)).isEmpty else {
            throw s.invalid(.detectors, s.string(.detectors) ?? "", "detector names, comma-separated, or none for no detectors")
        }
        do { detectors = try DetectorRegistry.make(try s.list(.detectors)).map(\.name) } catch {
            throw s.invalid(.detectors, s.string(.detectors) ?? "", "detectors with options in range, or none (\(error))")
        }
        dropFlagged = try s.bool(.dropFlagged)
        (evaluators, evaluatorOptions) = try Self.parseEvaluators(s.list(.evaluators), settings: s)
        (evaluators, evaluatorsLeftOut) = try Self.fitEvaluators(evaluators, options: evaluatorOptions, clients: spec.clients, settings: s)
        let u = try s.required(.utility)
        guard let utility = Utility(rawValue: u) else { throw s.invalid(.utility, u, "accuracy or neg-loss") }
        self.utility = utility
        outputDirectory = try s.directory(.out)
        archiveUpdates = try s.bool(.archiveUpdates)
        float16 = try s.bool(.float16)
        overlapRounds = try s.bool(.overlapRounds)
        blasThreads = try s.int(.blasThreads, range: 1...256)
        consoleEvaluator = try s.required(.consoleEvaluator)
        guard [AttributionBlock.automatic, Self.consoleTable].contains(consoleEvaluator) || evaluators.contains(consoleEvaluator) else {
            throw s.invalid(.consoleEvaluator, consoleEvaluator, "auto, table or one of the configured evaluators (\(evaluators.joined(separator: ", ")))")
        }
    }

    /// Splits `names` into those that can score rounds of `clients` players and the exhaustive ones that cannot (their
    /// 2^N coalitions): chosen explicitly, such an evaluator is an error naming it and its limit; from the default
    /// list it is left out (and returned, for the startup log), so a large federation runs with the sampling evaluators.
    static func fitEvaluators(_ names: [String], options: [String: [String: Double]], clients: Int,
                              settings s: Settings) throws -> (kept: [String], leftOut: [String]) {
        var kept: [String] = [], leftOut: [String] = []
        for name in names {
            let evaluator = try EvaluatorRegistry.make(name, options: options[name] ?? [:])
            guard let limit = evaluator.playerLimit, clients > limit else {
                kept.append(name)
                continue
            }
            guard s.source(.evaluators) == .defaultValue else {
                throw s.invalid(.evaluators, s.string(.evaluators) ?? "", "evaluators that can score \(clients) clients: \(name) enumerates "
                                + "all 2^N coalitions and is limited to \(limit) clients; for larger federations use sampling or "
                                + "per-client evaluators (gtg-shapley, banzhaf, loo, marginal, cosine)")
            }
            leftOut.append(name)
        }
        return (kept, leftOut)
    }

    /// Parses `name` or `name(key=value;key=value)` items (`NamedOptions`, numeric values) and checks each against the
    /// evaluator registry; `none` alone means no attribution, an empty list is refused (an unset variable, most likely).
    static func parseEvaluators(_ items: [String], settings s: Settings) throws -> ([String], [String: [String: Double]]) {
        if items == ["none"] { return ([], [:]) }
        guard !items.isEmpty else {
            throw s.invalid(.evaluators, s.string(.evaluators) ?? "", "evaluator names, comma-separated, or none for no attribution")
        }
        var names: [String] = []
        var options: [String: [String: Double]] = [:]
        for item in items {
            let named: NamedOptions
            do { named = try NamedOptions(parsing: item) } catch {
                throw s.invalid(.evaluators, item, "name or name(key=value;…) with numeric values (\(error))")
            }
            var opts: [String: Double] = [:]
            for (key, text) in named.values {
                guard let value = Double(text), value.isFinite else {
                    throw s.invalid(.evaluators, item, "name or name(key=value;…) with numeric values ('\(key)' is '\(text)')")
                }
                opts[key] = value
            }
            let name = named.name
            do { _ = try EvaluatorRegistry.make(name, options: opts) } catch {
                throw s.invalid(.evaluators, item, "one of \(EvaluatorRegistry.names.joined(separator: ", ")) with valid options (\(error))")
            }
            guard !names.contains(name) else { throw s.invalid(.evaluators, item, "each evaluator once") }
            names.append(name)
            if !opts.isEmpty { options[name] = opts }
        }
        return (names, options)
    }
}
