import Adversary
import Aggregation
import ArgumentParser
import Attribution
import Dispatch
import Federation
import Foundation
import Learning
import Logging
import PKI
import Transport
import Wire

extension Bench {
    /// Framework overhead of a round: a real cluster of processes over mutual TLS on loopback, with clients that
    /// return the model unchanged and then with honest training, read back from OUT/rounds.jsonl and the logs.
    struct Round: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per-round overhead (broadcast + collect + aggregate) of a local TLS cluster; unchanged vs honest clients.",
            discussion: "Starts `fedattr coordinator` and N `fedattr client` processes with LocalCluster, --repeats times per "
                + "strategy, and summarises durations_ms of OUT/<strategy>-<run>/rounds.jsonl.")

        @Option(help: "Clients (processes).") var clients = 10
        @Option(help: "Rounds per run.") var rounds = 20
        @Option(help: "Runs per strategy.") var repeats = 3
        @Option(help: "Client strategies to run, comma-separated (unchanged, honest).") var strategies = "unchanged,honest"
        @Option(help: "Model.") var model = "mlp"
        @Option(help: "Dataset.") var dataset = "fashion-mnist"
        @Option(help: "Evaluators (the cheapest by default).") var evaluators = "cosine"
        @Option(help: "Test images evaluated each round.") var testSize = 1000
        @Option(help: "Local epochs (honest clients).") var epochs = 1
        @Option(help: "Local mini-batch size (honest clients).") var batchSize = 32
        @Option(help: "Use only the first N training images (0 = all).") var trainLimit = 0
        @Option(help: "Directory of the Fashion-MNIST IDX files.") var dataDir = FashionMNIST.defaultDirectory
        @Option(help: "Output directory; each run goes to OUT/<strategy>-<run>.") var out = "bench-round"
        @Flag(help: "Send the global model as float16 (the coordinator's --float16).") var float16 = false
        @Flag(help: "Skip the in-process cost model of the per-message steps.") var noCostModel = false
        @Flag(help: "Only the in-process cost model (with a throwaway PKI under OUT/pki), no cluster.") var costModelOnly = false

        func run() throws {
            let names = strategies.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            for name in names { _ = try StrategyRegistry.make(name) }
            if costModelOnly {
                print(BenchMachine.describe())
                _ = try PKIBuilder.initialize(directory: out + "/pki", clients: clients)
                try CostModel.run(pkiDirectory: out + "/pki", modelSpec: try ModelSpec(parsing: model), clients: clients)
                return
            }
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            print("bench round: \(clients) client processes + coordinator over tls+tcp://127.0.0.1, \(model), \(dataset), "
                  + "\(rounds) rounds, evaluators \(evaluators), test \(testSize)\(float16 ? ", float16 tasks" : ""); \(repeats) run(s) per strategy")
            print(BenchMachine.describe())
            var results: [(strategy: String, runs: [RunStats])] = []
            for name in names {
                var runs: [RunStats] = []
                for r in 1...max(1, repeats) {
                    let directory = "\(out)/\(name)-\(r)"
                    let load = BenchMachine.loadAverage()
                    let wall = Date()
                    try runCluster(executable: executable, strategy: name, directory: directory)
                    var stats = try RunStats(directory: directory)
                    stats.loadBefore = load
                    stats.wallSeconds = Date().timeIntervalSince(wall)
                    print(stats.line(label: "\(name) run \(r)"))
                    runs.append(stats)
                }
                results.append((name, runs))
            }
            print("")
            print("summary (ms per round; median of the per-run medians, [min–max of the per-run medians]; p10/p90 over all rounds of all runs)")
            print(pad("strategy", 10) + pad("overhead b+c+a", 26) + pad("p10/p90", 14) + pad("broadcast", 10)
                  + pad("collect", 10) + pad("aggregate", 10) + pad("total", 24) + pad("p10/p90", 14))
            for (name, runs) in results {
                let overhead = runs.map { Stats.median($0.overhead) }
                let total = runs.map { Stats.median($0.total) }
                let allOverhead = runs.flatMap(\.overhead), allTotal = runs.flatMap(\.total)
                print(pad(name, 10)
                      + pad("\(f(Stats.median(overhead), 2)) [\(f(overhead.min()!, 2))–\(f(overhead.max()!, 2))]", 26)
                      + pad("\(f(Stats.percentile(allOverhead, 0.1), 1))/\(f(Stats.percentile(allOverhead, 0.9), 1))", 14)
                      + pad(f(Stats.median(runs.map { Stats.median($0.broadcast) }), 2), 10)
                      + pad(f(Stats.median(runs.map { Stats.median($0.collect) }), 2), 10)
                      + pad(f(Stats.median(runs.map { Stats.median($0.aggregate) }), 2), 10)
                      + pad("\(f(Stats.median(total), 1)) [\(f(total.min()!, 1))–\(f(total.max()!, 1))]", 24)
                      + pad("\(f(Stats.percentile(allTotal, 0.1), 1))/\(f(Stats.percentile(allTotal, 0.9), 1))", 14))
            }
            print("")
            print("inside the clients (median over all updates of all runs, from logs/client-N.log 'update sent' ms: "
                  + "strategy + 2 digests + sign + encode + send)")
            for (name, runs) in results {
                let ms = runs.flatMap(\.clientMillis)
                guard !ms.isEmpty else { continue }
                print("  \(pad(name, 10)) median \(f(Stats.median(ms), 1)) ms, p90 \(f(Stats.percentile(ms, 0.9), 1)) ms, max \(f(ms.max()!, 0)) ms")
            }
            print("timeline after the broadcast (ms, median over rounds; log timestamps have 1 ms resolution): "
                  + "first client starts → last client starts → last update sent → collect ends")
            for (name, runs) in results {
                let a = runs.flatMap(\.firstTaskStart), b = runs.flatMap(\.lastTaskStart), c = runs.flatMap(\.lastUpdateSent)
                let end = runs.flatMap(\.collect)   // collect starts right after "round started" is logged
                guard !a.isEmpty else { continue }
                print("  \(pad(name, 10)) \(f(Stats.median(a), 1)) → \(f(Stats.median(b), 1)) → \(f(Stats.median(c), 1)) → \(f(Stats.median(end), 1))")
            }
            if !noCostModel, let first = results.first?.runs.first {
                print("")
                try CostModel.run(pkiDirectory: first.directory + "/pki", modelSpec: try ModelSpec(parsing: model), clients: clients)
            }
        }

        private func runCluster(executable: String, strategy: String, directory: String) throws {
            var coordinatorFlags: [String: String] = [
                "rounds": "\(rounds)", "model": model, "dataset": dataset, "evaluators": evaluators,
                "test-size": "\(testSize)", "epochs": "\(epochs)", "batch-size": "\(batchSize)",
                "data-dir": dataDir, "log-level": "info", "registration-timeout": "120",
            ]
            if trainLimit > 0 { coordinatorFlags["train-limit"] = "\(trainLimit)" }
            if float16 { coordinatorFlags["float16"] = "true" }
            let clientFlags = ["strategy": strategy, "data-dir": dataDir, "log-level": "info", "blas-threads": "1"]
            var logger = Logger(label: "bench")
            logger.logLevel = .warning
            let cluster = LocalCluster(options: .init(executable: executable, clients: clients, outputDirectory: directory,
                                                      coordinatorFlags: coordinatorFlags, clientFlags: clientFlags),
                                       logger: logger)
            BenchClusterGuard.shared.install(cluster)
            defer { BenchClusterGuard.shared.install(nil) }
            // Log files are appended to: start each run from an empty directory.
            try? FileManager.default.removeItem(atPath: directory)
            // The coordinator prints a progress table per round on the standard output it inherits; keep it in a file.
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let status = try StandardOutput.redirected(to: directory + "/coordinator.stdout") { try cluster.run() }
            guard status == 0 else {
                throw ValidationError("coordinator exited with status \(status); see \(directory)/coordinator.log")
            }
        }

        /// One run's per-round durations.
        struct RunStats {
            let directory: String
            let overhead: [Double]
            let broadcast: [Double]
            let collect: [Double]
            let aggregate: [Double]
            let total: [Double]
            let clientMillis: [Double]
            /// Per round, from the logs' millisecond timestamps, relative to the coordinator's "round started" (just after
            /// the broadcast): when the first and the last client began working on the task (update sent − its ms),
            /// and when the last update was sent.
            let firstTaskStart: [Double]
            let lastTaskStart: [Double]
            let lastUpdateSent: [Double]
            let rejected: Int
            let stragglers: Int
            let finalTestAccuracy: Double
            var loadBefore = ""
            var wallSeconds = 0.0

            init(directory: String) throws {
                self.directory = directory
                let text = try String(contentsOfFile: directory + "/rounds.jsonl", encoding: .utf8)
                let decoder = JSONDecoder()
                let records = try text.split(separator: "\n").map { try decoder.decode(RoundRecord.self, from: Data($0.utf8)) }
                guard !records.isEmpty else { throw ValidationError("\(directory)/rounds.jsonl has no rounds") }
                let d = records.map(\.durationsMs)
                broadcast = d.map(\.broadcast)
                collect = d.map(\.collect)
                aggregate = d.map(\.aggregate)
                overhead = d.map { $0.broadcast + $0.collect + $0.aggregate }
                total = d.map(\.total)
                rejected = records.reduce(0) { $0 + $1.rejected.count }
                stragglers = records.reduce(0) { $0 + $1.stragglers.count }
                finalTestAccuracy = records.last!.testAccuracy
                var ms: [Double] = []
                var starts: [Int: [Double]] = [:], sends: [Int: [Double]] = [:], started: [Int: Double] = [:]
                let coordinatorLog = (try? String(contentsOfFile: directory + "/coordinator.log", encoding: .utf8)) ?? ""
                for line in coordinatorLog.split(separator: "\n") where line.contains("msg=\"round started\"") {
                    if let t = Self.timestamp(line), let r = Self.field(line, "round") { started[Int(r)] = t }
                }
                let logs = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/logs")) ?? []
                for file in logs where file.hasSuffix(".log") {
                    guard let log = try? String(contentsOfFile: "\(directory)/logs/\(file)", encoding: .utf8) else { continue }
                    for line in log.split(separator: "\n") where line.contains("msg=\"update sent\"") {
                        guard let v = Self.field(line, "ms") else { continue }
                        ms.append(v)
                        if let t = Self.timestamp(line), let r = Self.field(line, "round") {
                            starts[Int(r), default: []].append(t - v / 1000)
                            sends[Int(r), default: []].append(t)
                        }
                    }
                }
                clientMillis = ms
                var first: [Double] = [], last: [Double] = [], sent: [Double] = []
                for (r, t0) in started {
                    guard let s = starts[r], let e = sends[r], !s.isEmpty else { continue }
                    first.append((s.min()! - t0) * 1000)
                    last.append((s.max()! - t0) * 1000)
                    sent.append((e.max()! - t0) * 1000)
                }
                firstTaskStart = first
                lastTaskStart = last
                lastUpdateSent = sent
            }

            /// Seconds since the epoch of a logfmt line's `ts=YYYY-MM-DDTHH:MM:SS.mmmZ`.
            static func timestamp<S: StringProtocol>(_ line: S) -> Double? {
                guard let range = line.range(of: "ts=") else { return nil }
                let text = String(line[range.upperBound...].prefix(24))
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                return formatter.date(from: text)?.timeIntervalSince1970
            }

            /// The numeric value of ` key=` in a logfmt line.
            static func field<S: StringProtocol>(_ line: S, _ key: String) -> Double? {
                guard let range = line.range(of: " \(key)=") else { return nil }
                return Double(line[range.upperBound...].prefix { $0.isNumber || $0 == "." })
            }

            func line(label: String) -> String {
                "  \(label): overhead median \(f(Stats.median(overhead), 2)) ms (p10 \(f(Stats.percentile(overhead, 0.1), 2)), "
                    + "p90 \(f(Stats.percentile(overhead, 0.9), 2)); broadcast \(f(Stats.median(broadcast), 2)), "
                    + "collect \(f(Stats.median(collect), 2)), aggregate \(f(Stats.median(aggregate), 2)); "
                    + "total median \(f(Stats.median(total), 1)) ms; \(overhead.count) rounds, rejected \(rejected), "
                    + "stragglers \(stragglers), test acc \(f(finalTestAccuracy, 4)); run \(f(wallSeconds, 1)) s, load before \(loadBefore)"
            }
        }
    }

    /// Exact Shapley values of one round with N clients: the coordinator's sweep (first-layer linearity + one Gray-code
    /// pass over all 2^N coalitions), the per-coalition fast path it replaced, and rebuilding the model for every coalition.
    struct Shapley: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exact Shapley per round: CombinationEvaluator sweep / per-coalition calls vs a full forward pass per coalition.")

        @Option(help: "Clients (players); 2^N coalitions.") var clients = 10
        @Option(help: "Model.") var model = "mlp"
        @Option(help: "Validation images (the utility's data set), held out after the training pool.") var validation = 1000
        @Option(help: "Training pool (the first N training images), split Dirichlet(alpha) over the clients.") var pool = 12_000
        @Option(help: "Dirichlet concentration of the split.") var alpha = 0.5
        @Option(help: "Local SGD steps per client to make its update.") var steps = 40
        @Option(help: "Local mini-batch size.") var batchSize = 32
        @Option(help: "Local learning rate.") var learningRate: Float = 0.05
        @Option(help: "Timed repetitions of every variant.") var repeats = 3
        @Option(help: "Directory of the Fashion-MNIST IDX files.") var dataDir = FashionMNIST.defaultDirectory
        @Flag(help: "Skip the single-threaded variants.") var noSingle = false

        func run() throws {
            BLASThreads.set(1)
            let spec = try ModelSpec(parsing: model)
            let full = try FashionMNIST.load(.train, directory: dataDir, limit: pool + validation)
            guard full.count == pool + validation else { throw ValidationError("only \(full.count) training images") }
            let trainPool = full.subset(Array(0..<pool))
            let valid = full.subset(Array(pool..<(pool + validation)))
            let parts = Partitioner.partition(labels: trainPool.labels, classCount: trainPool.classCount, clients: clients,
                                              scheme: .dirichlet(alpha: alpha), seed: 1)
            let base = Model(spec: spec, seed: 1)
            let trainStart = Date()
            var updates: [[Float]] = []
            var counts: [Int] = []
            for (i, part) in parts.enumerated() {
                let shard = trainPool.subset(Array(part.prefix(steps * batchSize)))
                var local = base
                if shard.count > 0 {
                    _ = Trainer.train(&local, on: shard, epochs: 1, batchSize: batchSize, optimizer: SGD(learningRate: learningRate),
                                      seed: 7 &+ UInt64(i))
                }
                updates.append(zip(local.parameters, base.parameters).map { $0 - $1 })
                counts.append(max(1, shard.count))
            }
            let cores = ProcessInfo.processInfo.activeProcessorCount
            print("bench shapley: N = \(clients) clients (2^N = \(1 << clients) coalitions), \(spec) (\(base.parameterCount) parameters), "
                  + "\(valid.count) validation images, accuracy utility, FedAvg coefficients")
            print("updates: \(steps) SGD steps of \(batchSize) on Dirichlet(\(alpha)) shards of the first \(pool) training images; "
                  + "samples per client \(counts.map(String.init).joined(separator: ",")) (made in \(f(Date().timeIntervalSince(trainStart), 1)) s)")
            print(BenchMachine.describe() + "; OpenBLAS 1 thread; parallel = DispatchQueue.concurrentPerform on \(cores) cores")

            let round = RoundData(spec: spec, base: base.parameters, updates: updates, counts: counts, validation: valid)
            var variants: [(name: String, parallel: Bool, path: Path)] = [
                ("sweep, parallel", true, .sweep), ("fast, parallel", true, .fast), ("naive, parallel", true, .naive),
            ]
            if !noSingle {
                variants += [("sweep, 1 thread", false, .sweep), ("fast, 1 thread", false, .fast), ("naive, 1 thread", false, .naive)]
            }
            var times: [String: [Double]] = [:]
            var outcomes: [String: RoundOutcome] = [:]
            for rep in 1...max(1, repeats) {
                for v in variants {
                    let outcome: RoundOutcome
                    switch v.path {
                    case .sweep: outcome = round.sweep(parallel: v.parallel)
                    case .fast: outcome = round.fast(parallel: v.parallel)
                    case .naive: outcome = round.naive(parallel: v.parallel)
                    }
                    times[v.name, default: []].append(outcome.seconds)
                    outcomes[v.name] = outcome
                    print("  run \(rep) \(pad(v.name, 16)) \(f(outcome.seconds * 1000, 1)) ms\(outcome.detail.isEmpty ? "" : "  (\(outcome.detail))")  load \(BenchMachine.loadAverage())")
                }
            }
            print("")
            print(pad("variant", 18) + pad("median ms [min–max]", 30) + "per coalition")
            for v in variants {
                let t = times[v.name]!
                print(pad(v.name, 18) + pad("\(f(Stats.median(t) * 1000, 1)) [\(f(t.min()! * 1000, 1))–\(f(t.max()! * 1000, 1))]", 30)
                      + "\(f(Stats.median(t) * 1e6 / Double((1 << clients) - 1), 0)) µs")
            }
            func ratio(_ a: String, _ b: String) -> String {
                guard let x = times[a], let y = times[b] else { return "-" }
                return f(Stats.median(x) / Stats.median(y), 1) + "x"
            }
            for mode in noSingle ? ["parallel"] : ["parallel", "1 thread"] {
                print("speed-ups, \(mode): sweep vs fast \(ratio("fast, \(mode)", "sweep, \(mode)")), "
                      + "sweep vs naive \(ratio("naive, \(mode)", "sweep, \(mode)")), fast vs naive \(ratio("naive, \(mode)", "fast, \(mode)"))")
            }
            if !noSingle {
                print("parallel scaling on \(cores) cores: sweep \(ratio("sweep, 1 thread", "sweep, parallel")), "
                      + "fast \(ratio("fast, 1 thread", "fast, parallel")), naive \(ratio("naive, 1 thread", "naive, parallel"))")
            }

            let sweep = outcomes["sweep, parallel"]!, fast = outcomes["fast, parallel"]!, naive = outcomes["naive, parallel"]!
            for (label, a, b) in [("sweep vs fast", sweep, fast), ("fast vs naive", fast, naive)] {
                let phiDiff = zip(a.shapley, b.shapley).map { abs($0 - $1) }.max() ?? 0
                let valueDiffs = zip(a.values, b.values).filter { $0 != $1 }.count
                let lossDiff = zip(a.lossShapley, b.lossShapley).map { abs($0 - $1) }.max() ?? 0
                let lossValueDiff = zip(a.losses, b.losses).map { abs($0 - $1) / abs($1) }.max() ?? 0
                print("agreement \(label): accuracy Shapley max |Δφ| = \(String(format: "%.3g", phiDiff)) (coalition values that differ: \(valueDiffs) of \(a.values.count)); "
                      + "neg-loss Shapley max |Δφ| = \(String(format: "%.3g", lossDiff)) (max relative |Δ loss| over coalitions \(String(format: "%.3g", lossValueDiff)))")
            }
            print("shapley (accuracy): " + sweep.shapley.map { String(format: "%+.4f", $0) }.joined(separator: " ")
                  + "  sum \(String(format: "%.4f", sweep.shapley.reduce(0, +))) = v(N) \(String(format: "%.4f", sweep.values.last!))")
            print("")
            round.profile(repeats: max(3, repeats))
        }
    }
}

/// The ways the Shapley benchmark computes a round.
private enum Path { case sweep, fast, naive }

/// What one way of computing a round's exact Shapley values produced, and how long it took.
private struct RoundOutcome {
    var seconds: Double
    /// v(S) for every mask 0..<2^N (accuracy utility) and the mean loss of every coalition's model.
    var values: [Double]
    var losses: [Double]
    var shapley: [Double]
    var lossShapley: [Double]
    var detail: String
}

/// One round's inputs for the Shapley benchmark.
private struct RoundData: Sendable {
    let spec: ModelSpec
    let base: [Float]
    let updates: [[Float]]
    let counts: [Int]
    let validation: Dataset

    var n: Int { updates.count }

    var fedAvgInput: AggregationInput {
        AggregationInput(base: base, clients: (0..<n).map { "client-\($0)" }, sampleCounts: counts, updates: updates)
    }

    func coefficients(_ mask: UInt64) -> [Float] {
        FedAvg().weightedMean(fedAvgInput)!.coefficients(members: mask)
    }

    /// The coordinator's path: first-layer products once, then one Gray-code sweep over all coalitions (accuracy only).
    /// The neg-loss table for the agreement check comes from a second, separately timed loss sweep.
    func sweep(parallel: Bool) -> RoundOutcome {
        let t0 = DispatchTime.now()
        let combination = CombinationEvaluator(spec: spec, base: base, deltas: updates, data: validation)
        let t1 = DispatchTime.now()
        let weights = FedAvg().weightedMean(fedAvgInput)!.weights
        let accuracy = combination.sweepWeightedMeans(weights: weights, metric: .accuracy, parallel: parallel)
        let game = CachedGame(playerCount: n, values: accuracy.map { $0 - accuracy[0] })
        let t2 = DispatchTime.now()
        let shapley = try! ExactShapleyEvaluator().evaluate(input(game))
        let t3 = DispatchTime.now()
        let losses = combination.sweepWeightedMeans(weights: weights, metric: .loss, parallel: parallel)
        let t4 = DispatchTime.now()
        return RoundOutcome(seconds: seconds(t0, t3), values: try! game.allValues(), losses: losses,
                            shapley: shapley, lossShapley: lossShapley(losses),
                            detail: "first-layer products \(f(seconds(t0, t1) * 1000, 1)) ms, \((1 << n) - 1) coalitions "
                                + "\(f(seconds(t1, t2) * 1000, 1)) ms, Shapley sums \(f(seconds(t2, t3) * 1000, 2)) ms; "
                                + "a loss sweep instead \(f(seconds(t3, t4) * 1000, 1)) ms")
    }

    /// The per-coalition path the sweep replaced: first-layer products once, then every coalition from saxpy combinations, in parallel.
    func fast(parallel: Bool) -> RoundOutcome {
        let losses = LossTable(count: 1 << n)
        let t0 = DispatchTime.now()
        let combination = CombinationEvaluator(spec: spec, base: base, deltas: updates, data: validation)
        let t1 = DispatchTime.now()
        let empty = combination.evaluate(coefficients: [Float](repeating: 0, count: n))
        losses.set(0, empty.loss)
        let before = empty.accuracy
        let mean = FedAvg().weightedMean(fedAvgInput)!
        let game = CachedGame(playerCount: n, parallel: parallel) { mask in
            let e = combination.evaluate(coefficients: mean.coefficients(members: mask))
            losses.set(Int(mask), e.loss)
            return e.accuracy - before
        }
        try! game.precomputeAll()
        let t2 = DispatchTime.now()
        let shapley = try! ExactShapleyEvaluator().evaluate(input(game))
        let t3 = DispatchTime.now()
        let values = try! game.allValues()
        return RoundOutcome(seconds: seconds(t0, t3), values: values, losses: losses.values,
                            shapley: shapley, lossShapley: lossShapley(losses.values),
                            detail: "first-layer products \(f(seconds(t0, t1) * 1000, 1)) ms, \((1 << n) - 1) coalitions "
                                + "\(f(seconds(t1, t2) * 1000, 1)) ms, Shapley sums \(f(seconds(t2, t3) * 1000, 2)) ms")
    }

    /// The straightforward path: for every coalition rebuild w + A(S) and run the whole forward pass.
    func naive(parallel: Bool) -> RoundOutcome {
        let losses = LossTable(count: 1 << n)
        let t0 = DispatchTime.now()
        var model = Model(spec: spec, seed: 0)
        model.parameters = base
        let empty = model.evaluate(validation)
        losses.set(0, empty.loss)
        let before = empty.accuracy
        let data = self
        let game = CachedGame(playerCount: n, parallel: parallel) { mask in
            let e = CombinationEvaluator.evaluateNaively(spec: data.spec, base: data.base, deltas: data.updates,
                                                         coefficients: data.coefficients(mask), data: data.validation)
            losses.set(Int(mask), e.loss)
            return e.accuracy - before
        }
        try! game.precomputeAll()
        let shapley = try! ExactShapleyEvaluator().evaluate(input(game))
        let t1 = DispatchTime.now()
        let values = try! game.allValues()
        return RoundOutcome(seconds: seconds(t0, t1), values: values, losses: losses.values,
                            shapley: shapley, lossShapley: lossShapley(losses.values), detail: "")
    }

    private func input(_ game: any CoalitionGame) -> RoundInput {
        RoundInput(round: 1, clients: (0..<n).map { "client-\($0)" }, sampleCounts: counts, updates: updates,
                   aggregate: FedAvg().aggregate(fedAvgInput).aggregate, game: game)
    }

    /// Shapley values of the neg-loss utility from a table of coalition losses (no further model evaluations).
    private func lossShapley(_ losses: [Double]) -> [Double] {
        let table = losses
        let game = CachedGame(playerCount: n, parallel: false) { mask in table[0] - table[Int(mask)] }
        return (try? ExactShapleyEvaluator().evaluate(input(game))) ?? []
    }

    /// Where the fast path's time goes: the first-layer products, then per coalition the remaining layers (all-zero
    /// coefficients skip every saxpy) and the saxpy combination (all coefficients non-zero minus all zero).
    func profile(repeats: Int) {
        var products: [Double] = [], rest: [Double] = [], one: [Double] = [], full: [Double] = []
        let reps = 64
        for _ in 0..<repeats {
            let t0 = DispatchTime.now()
            let combination = CombinationEvaluator(spec: spec, base: base, deltas: updates, data: validation)
            products.append(seconds(t0, DispatchTime.now()))
            let zeros = [Float](repeating: 0, count: n)
            let all = coefficients((1 << UInt64(n)) - 1)
            let t1 = DispatchTime.now()
            for _ in 0..<reps { _ = combination.evaluate(coefficients: zeros) }
            let t2 = DispatchTime.now()
            for _ in 0..<reps { _ = combination.evaluate(coefficients: all) }
            let single = coefficients(1)
            let t3 = DispatchTime.now()
            for _ in 0..<reps { _ = combination.evaluate(coefficients: single) }
            let t4 = DispatchTime.now()
            rest.append(seconds(t1, t2) / Double(reps))
            full.append(seconds(t2, t3) / Double(reps))
            one.append(seconds(t3, t4) / Double(reps))
        }
        let p = Stats.median(products), r = Stats.median(rest), a = Stats.median(full), o = Stats.median(one)
        let perMember = max(0, (a - o) / Double(n - 1))
        let fixed = max(0, o - r - perMember)   // copy of the parameter vector, made once any coefficient is non-zero
        let members = Double(n) / 2   // the mean coalition size over all 2^N masks
        let perCoalition = r + fixed + perMember * members
        let coalitions = Double((1 << n) - 1)
        print("profile of the fast path (1 thread, median of \(repeats)):")
        print("  \(n + 1) first-layer products (base + every update, \(validation.count) images): \(f(p * 1000, 1)) ms")
        print("  per coalition: copy of the base activations + remaining layers + softmax \(f(r * 1e6, 0)) µs; "
              + "copy of the parameter vector \(f(fixed * 1e6, 0)) µs; saxpy per member \(f(perMember * 1e6, 0)) µs")
        print("  model for one round on 1 thread: \(f(p * 1000, 1)) + \(Int(coalitions)) × \(f(perCoalition * 1e6, 0)) µs "
              + "= \(f((p + coalitions * perCoalition) * 1000, 1)) ms (remaining layers \(f(coalitions * r * 1000, 1)) ms, "
              + "parameter copies \(f(coalitions * fixed * 1000, 1)) ms, saxpy \(f(coalitions * perMember * members * 1000, 1)) ms)")
    }
}

/// Per-mask losses written from concurrentPerform workers; each index is written once, read after the join.
private final class LossTable: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var storage: [Double]

    init(count: Int) { storage = [Double](repeating: 0, count: count) }

    func set(_ index: Int, _ value: Double) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    var values: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

/// In-process timings of every step a task and an update go through (single thread), to tell where a round's
/// overhead goes: what the coordinator does serially and what each client does before its answer leaves.
private enum CostModel {
    static func run(pkiDirectory: String, modelSpec: ModelSpec, clients: Int) throws {
        let layout = PKILayout(directory: pkiDirectory)
        let key = try PrivateKey(pemFile: layout.key("client-0"))
        let certificate = try Certificate(pemFile: layout.certificate("client-0"))
        let trust = try TrustAnchor(caPEMFile: layout.caCertificate)
        let parameters = Model(spec: modelSpec, seed: 1).parameters
        let count = parameters.count
        let nonce = [UInt8](repeating: 7, count: 32)
        let hp = Hyperparameters(epochs: 1, batchSize: 32, learningRate: 0.05, momentum: 0, weightDecay: 0, seed: 1)
        let task = TaskMessage(round: 1, nonce: nonce, deadlineMillis: 60_000, hyperparameters: hp, spec: "{}", parameters: parameters)
        let limits = DecodeLimits(maxParameters: count, expectedParameters: count)

        let encodeTask = time { _ = WireCodec.encode(.task(task)) }
        let taskBytes = WireCodec.encode(.task(task))
        let decodeTask = time { _ = try? WireCodec.decode(taskBytes, limits: limits) }
        let tensorBytes = time { _ = WireCodec.tensorBytes(parameters) }
        let digest = time { _ = Digest.sha256(WireCodec.tensorBytes(parameters)) }
        let zero = [Float](repeating: 0, count: count)
        let signing = UpdateMessage.signingBytes(nonce: nonce, round: 1, clientID: "client-0", sampleCount: 100,
                                                 baseModelDigest: Digest.sha256(WireCodec.tensorBytes(parameters)),
                                                 updateDigest: Digest.sha256(WireCodec.tensorBytes(zero)))
        let sign = time { _ = try? key.sign(signing) }
        let signature = try key.sign(signing)
        let update = UpdateMessage(round: 1, nonce: nonce, clientID: "client-0", certificateDER: certificate.der, sampleCount: 100,
                                   trainLoss: 0, baseModelDigest: [UInt8](repeating: 0, count: 32), update: zero, signature: signature)
        let encodeUpdate = time { _ = WireCodec.encode(.update(update)) }
        let updateBytes = WireCodec.encode(.update(update))
        let decodeUpdate = time { _ = try? WireCodec.decode(updateBytes, limits: limits) }
        let verify = time { _ = certificate.verifySignature(signature, over: signing) }
        let chain = time {
            if let c = try? Certificate(der: certificate.der) { try? trust.validate(c, purpose: .client) }
        }
        let certKey = time { _ = Digest.hex(Digest.sha256(certificate.der)) }

        let clientSide = decodeTask + 2 * digest + sign + encodeUpdate
        let coordinatorPerUpdate = decodeUpdate + digest + certKey + verify
        print("cost model (in-process, 1 thread, median of 21; \(count) parameters = \(taskBytes.count) B task, \(updateBytes.count) B update):")
        print("  coordinator, once:       encode task \(us(encodeTask)), digest of the model \(us(digest)) (tensorBytes alone \(us(tensorBytes)))")
        print("  client, per task:        decode task \(us(decodeTask)) + 2 digests \(us(2 * digest)) + sign \(us(sign)) + encode update \(us(encodeUpdate)) = \(us(clientSide))")
        print("  coordinator, per update: decode \(us(decodeUpdate)) + digest \(us(digest)) + cert cache key \(us(certKey)) + verify signature \(us(verify)) = \(us(coordinatorPerUpdate))"
              + " (first time per client also chain validation \(us(chain)))")
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        let serial = encodeTask + digest + Double(clients) * coordinatorPerUpdate
        print("  => CPU per round without TLS and sockets: coordinator \(ms(serial)) serial; clients \(clients) × \(us(clientSide)) = "
              + "\(ms(Double(clients) * clientSide)) spread over \(Int(cores)) cores (≥ \(ms(Double(clients) * clientSide / cores)) wall); "
              + "TLS encrypts + decrypts \(clients) × \(taskBytes.count + updateBytes.count) B on top")
        print("transport alone (in-process surveyor + respondents echoing \(taskBytes.count) B, 2 threads per message path; median of 15 surveys):")
        for respondents in [1, clients] {
            let plain = try TransportProbe.roundTrip(tls: nil, respondents: respondents, bytes: taskBytes.count)
            let tls = try TransportProbe.roundTrip(tls: layout, respondents: respondents, bytes: taskBytes.count)
            print("  \(respondents) respondent(s): tcp:// \(ms(plain.wall)) wall (\(ms(plain.cpu)) CPU), "
                  + "tls+tcp:// \(ms(tls.wall)) wall (\(ms(tls.cpu)) CPU) per survey (task out + update back)")
        }
    }

    private static func time(_ body: () -> Void) -> Double {
        body()
        var samples: [Double] = []
        for _ in 0..<21 {
            let t0 = DispatchTime.now()
            body()
            samples.append(seconds(t0, DispatchTime.now()))
        }
        return Stats.median(samples)
    }

    private static func us(_ s: Double) -> String { s < 1e-3 ? "\(f(s * 1e6, 0)) µs" : "\(f(s * 1e3, 2)) ms" }
    private static func ms(_ s: Double) -> String { "\(f(s * 1e3, 2)) ms" }
}

/// A survey of `bytes` to in-process respondents that echo it, over tcp:// or mutual TLS on 127.0.0.1: the
/// transport's share of a round with no decoding, signing or training.
private enum TransportProbe {
    /// Median wall seconds per survey, and process CPU seconds per survey (all threads: both ends' nng and TLS work).
    static func roundTrip(tls layout: PKILayout?, respondents: Int, bytes: Int, surveys: Int = 15) throws -> (wall: Double, cpu: Double) {
        let port = try LocalCluster.freePort()
        let url = (layout == nil ? "tcp" : "tls+tcp") + "://127.0.0.1:\(port)"
        let surveyor = try Socket.surveyor()
        defer { surveyor.close() }
        try surveyor.setReceiveMaxSize(bytes + 65_536)
        try surveyor.setReceiveTimeout(milliseconds: -1)
        try surveyor.setSurveyTime(milliseconds: 30_000)
        try surveyor.listen(url, tls: layout.map { TLSSettings(caFile: $0.caCertificate, certKeyFile: $0.bundle("coordinator")) })
        var sockets: [Socket] = []
        defer { for s in sockets { s.close() } }
        for i in 0..<respondents {
            let r = try Socket.respondent()
            try r.setReceiveMaxSize(bytes + 65_536)
            try r.dial(url, tls: layout.map { TLSSettings(caFile: $0.caCertificate, certKeyFile: $0.bundle("client-\(i)")) }, blocking: true)
            sockets.append(r)
            Thread.detachNewThread {
                while let m = try? r.receive() { try? r.send(m.bytes) }
            }
        }
        usleep(300_000)
        let payload = [UInt8](repeating: 0x5a, count: bytes)
        var samples: [Double] = []
        var cpuStart = 0.0
        for s in 0..<(surveys + 2) {
            if s == 2 { cpuStart = processCPUSeconds() }
            let t0 = DispatchTime.now()
            try surveyor.send(payload)
            for _ in 0..<respondents { _ = try surveyor.receive() }
            if s >= 2 { samples.append(seconds(t0, DispatchTime.now())) }
        }
        return (Stats.median(samples), (processCPUSeconds() - cpuStart) / Double(surveys))
    }
}

/// The machine and its load, for the record next to every number.
enum BenchMachine {
    static func describe() -> String {
        var model = "unknown CPU"
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let coreType = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { " (OPENBLAS_CORETYPE=\($0))" } ?? ""
        return "machine: \(model), \(ProcessInfo.processInfo.activeProcessorCount) cores; OpenBLAS core \(BLASThreads.coreName)\(coreType); "
            + "load average \(loadAverage())"
    }

    /// The 1-, 5- and 15-minute load averages.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}

/// Stops the running benchmark cluster's processes on SIGINT/SIGTERM, then exits.
private final class BenchClusterGuard: @unchecked Sendable {  // `current` and `sources` are behind `lock`
    static let shared = BenchClusterGuard()
    private let lock = NSLock()
    private var current: LocalCluster?
    private var sources: [any DispatchSourceSignal] = []

    func install(_ cluster: LocalCluster?) {
        lock.lock()
        defer { lock.unlock() }
        current = cluster
        guard sources.isEmpty else { return }
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()
                let cluster = current
                lock.unlock()
                cluster?.stopAll()
                Foundation.exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Points file descriptor 1 at a file for the duration of `body` (child processes started meanwhile inherit it).
private enum StandardOutput {
    static func redirected<T>(to path: String, _ body: () throws -> T) throws -> T {
        fflush(nil)
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard file >= 0 else { throw ValidationError("cannot open \(path)") }
        let saved = dup(1)
        dup2(file, 1)
        close(file)
        defer {
            fflush(nil)
            dup2(saved, 1)
            close(saved)
        }
        return try body()
    }
}

/// Medians and percentiles (linear interpolation between order statistics).
private enum Stats {
    static func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

    static func percentile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Int(position.rounded(.up))
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}

private func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

private func seconds(_ a: DispatchTime, _ b: DispatchTime) -> Double {
    Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9
}

private func f(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
