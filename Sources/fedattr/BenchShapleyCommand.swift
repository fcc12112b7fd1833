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
    /// Exact Shapley values of one round with N clients: the coordinator's sweep (first-layer linearity + the cache-blocked
    /// kernel over all 2^N coalitions), the Gray-code sweep it replaced for MLPs, the per-coalition fast path, and rebuilding
    /// the model for every coalition.
    struct Shapley: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exact Shapley per round: CombinationEvaluator sweeps / per-coalition calls vs a full forward pass per coalition.")

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
        @Option(help: "Paths to time, comma-separated: sweep (the coordinator's), gray (the Gray-code sweep), fast (per coalition), naive.")
        var paths = "sweep,gray,fast,naive"

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
            if case .mlp(let hidden) = spec, hidden.count == 1 {
                print("sweep: cache-blocked kernel, " + CombinationEvaluator.blockedSweepDescription(members: clients, hidden: hidden[0]))
            }

            let round = RoundData(spec: spec, base: base.parameters, updates: updates, counts: counts, validation: valid)
            let chosen = try paths.split(separator: ",").map { name -> Path in
                guard let path = Path(rawValue: String(name.trimmingCharacters(in: .whitespaces))) else {
                    throw ValidationError("unknown path '\(name)'; expected sweep, gray, fast or naive")
                }
                return path
            }
            guard !chosen.isEmpty else { throw ValidationError("--paths names no path") }
            let modes = noSingle ? ["parallel"] : ["parallel", "1 thread"]
            let variants = modes.flatMap { mode in chosen.map { (name: "\($0.rawValue), \(mode)", parallel: mode == "parallel", path: $0) } }
            var times: [String: [Double]] = [:]
            var outcomes: [String: RoundOutcome] = [:]
            for rep in 1...max(1, repeats) {
                for v in variants {
                    let outcome: RoundOutcome
                    switch v.path {
                    case .sweep: outcome = round.sweep(parallel: v.parallel, kernel: .automatic)
                    case .gray: outcome = round.sweep(parallel: v.parallel, kernel: .grayCode)
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
            for mode in modes {
                let pairs = [(Path.sweep, Path.gray), (.sweep, .fast), (.sweep, .naive), (.gray, .fast), (.fast, .naive)]
                    .filter { chosen.contains($0.0) && chosen.contains($0.1) }
                print("speed-ups, \(mode): " + pairs.map { "\($0.0) vs \($0.1) \(ratio("\($0.1), \(mode)", "\($0.0), \(mode)"))" }
                    .joined(separator: ", "))
            }
            if !noSingle {
                print("parallel scaling on \(cores) cores: "
                      + chosen.map { "\($0) \(ratio("\($0), 1 thread", "\($0), parallel"))" }.joined(separator: ", "))
            }

            // Every path against the per-coalition path (the reference the sweeps must reproduce), else against the first.
            let reference: Path = chosen.contains(.fast) ? .fast : chosen[0]
            for path in chosen where path != reference {
                let label = "\(path) vs \(reference)"
                let a = outcomes["\(path), parallel"]!, b = outcomes["\(reference), parallel"]!
                let phiDiff = zip(a.shapley, b.shapley).map { abs($0 - $1) }.max() ?? 0
                let valueDiffs = zip(a.values, b.values).filter { $0 != $1 }.count
                let lossDiff = zip(a.lossShapley, b.lossShapley).map { abs($0 - $1) }.max() ?? 0
                let lossValueDiff = zip(a.losses, b.losses).map { abs($0 - $1) / abs($1) }.max() ?? 0
                print("agreement \(label): accuracy Shapley max |Δφ| = \(String(format: "%.3g", phiDiff)) (coalition values that differ: \(valueDiffs) of \(a.values.count)); "
                      + "neg-loss Shapley max |Δφ| = \(String(format: "%.3g", lossDiff)) (max relative |Δ loss| over coalitions \(String(format: "%.3g", lossValueDiff)))")
            }
            let sweep = outcomes["\(chosen[0]), parallel"]!
            print("shapley (accuracy, \(chosen[0])): " + sweep.shapley.map { String(format: "%+.4f", $0) }.joined(separator: " ")
                  + "  sum \(String(format: "%.4f", sweep.shapley.reduce(0, +))) = v(N) \(String(format: "%.4f", sweep.values.last!))")
            print("")
            round.profile(repeats: max(3, repeats))
        }
    }
}

/// The ways the Shapley benchmark computes a round.
private enum Path: String { case sweep, gray, fast, naive }

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

    /// The coordinator's path (`.automatic`): first-layer products once, then one sweep over all coalitions (accuracy only).
    /// The neg-loss table for the agreement check comes from a second, separately timed loss sweep.
    func sweep(parallel: Bool, kernel: CombinationEvaluator.SweepKernel) -> RoundOutcome {
        let cpu0 = Bench.InProcess.cpuSeconds()
        let t0 = DispatchTime.now()
        let combination = CombinationEvaluator(spec: spec, base: base, deltas: updates, data: validation, parallel: parallel)
        let t1 = DispatchTime.now()
        let weights = FedAvg().weightedMean(fedAvgInput)!.weights
        let accuracy = combination.sweepWeightedMeans(weights: weights, metric: .accuracy, parallel: parallel, kernel: kernel)
        let game = CachedGame(playerCount: n, values: accuracy.map { $0 - accuracy[0] })
        let t2 = DispatchTime.now()
        let shapley = try! ExactShapleyEvaluator().evaluate(input(game))
        let t3 = DispatchTime.now()
        let cpu = Bench.InProcess.cpuSeconds() - cpu0
        let losses = combination.sweepWeightedMeans(weights: weights, metric: .loss, parallel: parallel, kernel: kernel)
        let t4 = DispatchTime.now()
        return RoundOutcome(seconds: seconds(t0, t3), values: try! game.allValues(), losses: losses,
                            shapley: shapley, lossShapley: lossShapley(losses),
                            detail: "first-layer products \(f(seconds(t0, t1) * 1000, 1)) ms, \((1 << n) - 1) coalitions "
                                + "\(f(seconds(t1, t2) * 1000, 1)) ms, Shapley sums \(f(seconds(t2, t3) * 1000, 2)) ms, CPU \(f(cpu * 1000, 1)) ms; "
                                + "a loss sweep instead \(f(seconds(t3, t4) * 1000, 1)) ms")
    }

    /// The per-coalition path the sweep replaced: first-layer products once, then every coalition from saxpy combinations, in parallel.
    func fast(parallel: Bool) -> RoundOutcome {
        let losses = LossTable(count: 1 << n)
        let t0 = DispatchTime.now()
        let combination = CombinationEvaluator(spec: spec, base: base, deltas: updates, data: validation, parallel: parallel)
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
            let combination = CombinationEvaluator(spec: spec, base: base, deltas: updates, data: validation, parallel: false)
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
