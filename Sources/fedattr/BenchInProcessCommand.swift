import ArgumentParser
import Federation
import Foundation
import Learning
import Logging

extension Bench {
    /// The in-process engine (`up --inproc`, `simulate`, `experiment`): the same federation with every BLAS call in
    /// its calling thread (what InProcessCluster does) and with OpenBLAS's own thread pool per call (the old default).
    struct InProcess: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inproc",
            abstract: "In-process federation (InProcessCluster): 1 BLAS thread per calling thread vs OpenBLAS's pool; rounds and CPU time.",
            discussion: "Runs the real Coordinator and Clients over inproc:// for each --blas-threads value and prints the "
                + "rounds' wall time (summary.json rounds_seconds: the first broadcast to the last round's files), the time "
                + "spent in the collect and attribution phases (OUT/t<N>/rounds.jsonl; a round's attribution overlaps the next "
                + "round's collection), and the process CPU time.")

        @Option(help: "Clients.") var clients = 10
        @Option(help: "Rounds per run.") var rounds = 20
        @Option(help: "BLAS thread settings to compare, comma-separated (1 = the fix; 2 = OpenBLAS's pool on 2 cores).") var threads = "1,2"
        @Option(help: "Evaluators.") var evaluators = "marginal,loo,shapley-exact,gtg-shapley,mr-shapley,banzhaf,cosine"
        @Option(help: "Use only the first N training images (0 = all).") var trainLimit = 0
        @Option(help: "Directory of the Fashion-MNIST IDX files.") var dataDir = FashionMNIST.defaultDirectory
        @Option(help: "Round overlap settings to compare, comma-separated (true = each round's bookkeeping runs while the next round trains).")
        var overlapRounds = "true"
        @Option(help: "Output directory; each run goes to OUT/t<threads>[-sequential].") var out = "bench-inproc"

        func run() throws {
            print("bench inproc: \(clients) clients, \(rounds) rounds, fashion-mnist (train limit \(trainLimit)), evaluators \(evaluators)")
            print(BenchMachine.describe())
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            let overlaps = try overlapRounds.split(separator: ",").map { raw in
                try Settings(flags: ["overlap-rounds": raw.trimmingCharacters(in: .whitespaces)], environment: [:]).bool(.overlapRounds)
            }
            let threadCounts = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            for (t, overlap) in threadCounts.flatMap({ t in overlaps.map { (t, $0) } }) {
                let dir = "\(out)/t\(t)\(overlap ? "" : "-sequential")"
                try? FileManager.default.removeItem(atPath: dir)
                let settings = try Settings(flags: [
                    "clients": "\(clients)", "rounds": "\(rounds)", "evaluators": evaluators, "train-limit": "\(trainLimit)",
                    "data-dir": dataDir, "out": dir, "listen": "inproc://bench", "blas-threads": "\(t)", "overlap-rounds": "\(overlap)",
                ], environment: [:])
                var config = try CoordinatorConfig(settings: settings)
                config.printsProgress = false
                let load = BenchMachine.loadAverage()
                let cpu0 = Self.cpuSeconds(), wall0 = Date()
                let summary = try InProcessCluster.run(config: config, logger: logger)
                let wall = Date().timeIntervalSince(wall0), cpu = Self.cpuSeconds() - cpu0
                let records = try RunReport(directory: dir).rounds
                let total = summary.roundsSeconds ?? .nan
                let collect = records.reduce(0) { $0 + $1.durationsMs.collect } / 1000
                let attribution = records.reduce(0) { $0 + $1.durationsMs.attribution } / 1000
                let samples = records.reduce(0) { $0 + $1.sampleCounts.reduce(0, +) }
                print(String(format: "blas-threads %d, overlap-rounds %@: rounds %.2f s (collect %.2f s, attribution %.2f s), whole run %.2f s wall, "
                             + "%.2f CPU-s (user+sys); %d training samples; test acc %.4f; load before %@",
                             t, "\(overlap)", total, collect, attribution, wall, cpu, samples, summary.finalTestAccuracy ?? .nan, load))
            }
        }

        /// User + system CPU seconds of this process so far.
        static func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
            return s(usage.ru_utime) + s(usage.ru_stime)
        }
    }
}
