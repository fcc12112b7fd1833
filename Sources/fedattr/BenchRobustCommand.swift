import Aggregation
import ArgumentParser
import Attribution
import Dispatch
import Federation
import Foundation
import Learning
import Logging

extension Bench {
    /// Per-round cost of the detectors and the robust rules next to FedAvg, and of exact Shapley attribution under a
    /// rule that is not a weighted mean (every coalition aggregated and evaluated) next to FedAvg's sweep.
    struct Robust: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time detectors and robust aggregation rules per round, and attribution under a non-linear rule."
        )

        @Option(help: "Clients (updates per round).") var clients = 10
        @Option(help: "Model whose parameter count sets the update length (mlp: 101,770).") var model = "mlp"
        @Option(help: "Timed repetitions per rule; the median is reported.") var repeats = 21
        @Option(help: "Rules to time, comma-separated (FedAvg is always the baseline).")
        var rules = "median,trimmed-mean(beta=0.1),krum(f=1),multi-krum(f=1),clip(factor=2)+fedavg,clip(factor=2)+median,fltrust(root=100)"
        @Option(help: "Rules to run exact Shapley attribution under (empty: skip), comma-separated.")
        var attribution = "median,krum(f=1)"
        @Option(help: "Evaluators for the attribution part.") var evaluators = "shapley-exact"
        @Option(help: "Validation images for the attribution part (synthetic data of the model's input shape).") var validation = 1000
        @Option(help: "BLAS threads.") var threads = 1

        func run() throws {
            BLASThreads.set(threads)
            let spec = try ModelSpec(parsing: model)
            let base = Model(spec: spec, seed: 1).parameters
            let d = base.count
            var rng = SeededGenerator(seed: 11)
            let direction = (0..<d).map { _ in Float.random(in: -0.01...0.01, using: &rng) }
            let updates = (0..<clients).map { _ in direction.map { $0 + Float.random(in: -0.01...0.01, using: &rng) } }
            let counts = (0..<clients).map { 500 + 37 * $0 }
            let ids = (0..<clients).map { "client-\($0)" }
            let input = AggregationInput(round: 1, base: base, clients: ids, sampleCounts: counts, updates: updates)
            print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, OpenBLAS core \(BLASThreads.coreName), \(threads) BLAS thread(s)")
            print("round: \(clients) updates × \(d) parameters; median of \(repeats) runs each; cpu = the process's CPU time")

            let baseline = time { _ = FedAvg().aggregate(input) }
            print(line("fedavg (baseline)", baseline, baseline))
            for text in rules.split(separator: ",", omittingEmptySubsequences: true).map(String.init) {
                let rule = try AggregationRegistry.make(text)
                var prepared = input
                rule.prepare(&prepared)
                if rule is FLTrust { prepared.reference = direction }  // the root update's training is timed apart below
                let ms = time { _ = rule.aggregate(prepared) }
                print(line(rule.name, ms, baseline))
            }
            let stage = DetectionStage(detectors: try DetectorRegistry.make(DetectorRegistry.defaults.split(separator: ",").map(String.init)))
            let detect = time { _ = stage.run(round: 1, clients: ids, sampleCounts: counts, updates: updates) }
            print(line("detectors: " + stage.names.joined(separator: ","), detect, baseline))
            let shared = DetectionStage(detectors: stage.detectors.filter { $0 is HistoryDetector })
            print(line("  shared: mean, median, Gram (+ history)", time { _ = shared.run(round: 1, clients: ids, sampleCounts: counts, updates: updates) }, baseline))
            for detector in stage.detectors where !(detector is HistoryDetector) {
                let one = DetectionStage(detectors: [detector])
                print(line("  " + detector.name, time { _ = one.run(round: 1, clients: ids, sampleCounts: counts, updates: updates) }, baseline))
            }

            // A round as RoundAggregation.run does it: the stage, then the rule on the stage's mean, median and Gram.
            for text in ["median", "krum(f=1)"] {
                let rule = try AggregationRegistry.make(text)
                let ms = time {
                    let report = stage.run(round: 1, clients: ids, sampleCounts: counts, updates: updates)
                    var shared = input
                    shared.statistics = report.statistics
                    _ = rule.aggregate(shared)
                }
                print(line("detectors, then \(rule.name) (shared)", ms, baseline))
            }

            let root = SyntheticDataset.generate(count: 100, seed: 3)
            let training = RootTraining(data: root, spec: spec, epochs: 1, batchSize: 32, optimizer: SGD(learningRate: 0.05), seed: 1)
            print(line("fltrust root update (100 samples, 1 epoch)", time(repeats: 5) { _ = training.update(base: base, round: 1) }, baseline))

            let names = attribution.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
            guard !names.isEmpty else { return }
            let data = SyntheticDataset.generate(count: validation, seed: 5)
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            for text in ["fedavg"] + names {
                let out = NSTemporaryDirectory() + "fedattr-bench-robust-\(getpid())"
                let config = try CoordinatorConfig(settings: Settings(flags: [
                    "listen": "inproc://bench", "clients": "\(clients)", "model": model, "dataset": "synthetic",
                    "aggregation": text, "evaluators": evaluators, "out": out, "detectors": "none",
                ], environment: [:]))
                let rule = try AggregationRegistry.make(config.aggregation)
                let scoring = try RoundAttribution(config: config, validation: data, rule: rule)
                var prepared = input
                rule.prepare(&prepared)
                let aggregate = rule.aggregate(prepared).aggregate
                let start = DispatchTime.now()
                let scores = scoring.score(round: 1, input: prepared, aggregate: aggregate, logger: logger)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                try? FileManager.default.removeItem(atPath: out)
                let path = rule.weightedMeanPath(prepared) == nil ? "per-coalition aggregation + forward pass" : "weighted-mean sweep"
                print("attribution \(evaluators) under \(rule.name): \(String(format: "%.2f", seconds)) s, "
                      + "\(scores.coalitionsEvaluated) coalitions evaluated (\(path)), \(validation) validation images")
            }
        }

        /// Median wall and process CPU milliseconds of `body` (CPU time stays meaningful on a loaded machine; it
        /// counts every thread's work, so with more threads it exceeds the wall time).
        func time(repeats r: Int? = nil, _ body: () -> Void) -> (wall: Double, cpu: Double) {
            body()  // warm-up
            var wall: [Double] = [], cpu: [Double] = []
            for _ in 0..<(r ?? repeats) {
                let start = DispatchTime.now(), cpuStart = Self.cpuMilliseconds()
                body()
                cpu.append(Self.cpuMilliseconds() - cpuStart)
                wall.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
            }
            return (wall.sorted()[wall.count / 2], cpu.sorted()[cpu.count / 2])
        }

        static func cpuMilliseconds() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
        }

        func line(_ name: String, _ t: (wall: Double, cpu: Double), _ baseline: (wall: Double, cpu: Double)) -> String {
            "  \(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%8.3f", t.wall)) ms wall "
                + "\(String(format: "%8.3f", t.cpu)) ms cpu  \(String(format: "%6.1f", t.cpu / max(baseline.cpu, 1e-6)))x fedavg (cpu)"
        }
    }
}
