import ArgumentParser
import Federation
import Foundation
import Learning
import Logging
import Transport

extension Bench {
    /// Load soak: a coordinator and N client processes over mutual TLS on 127.0.0.1 (LocalCluster, as `fedattr up`)
    /// for R rounds with sampling evaluators, while the coordinator's RSS, descriptors and threads are sampled from
    /// /proc; then every update a client logged as sent is matched to the round that took it, a late-update line or a
    /// refusal, and the ledger is verified.
    struct Soak: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Soak: N client processes over TLS for R rounds; round times, coordinator RSS/descriptors over time, every message accounted for.",
            discussion: "Writes OUT/soak-samples.csv (one line per sample) and OUT/soak-summary.json next to the run's files; "
                + "exits non-zero when a check fails (a round missing, an update unaccounted for, the ledger not verifying, "
                + "RSS after warm-up spreading more than --rss-tolerance, descriptors growing after warm-up).")

        @Option(help: "Client processes.") var clients = 100
        @Option(help: "Rounds.") var rounds = 50
        @Option(help: "Model.") var model = "logreg"
        @Option(help: "Dataset (synthetic needs no files).") var dataset = "synthetic"
        @Option(help: "Training examples per client (synthetic pool = clients × this + validation + test).") var perClient = 40
        @Option(help: "Validation examples (the attribution utility's data).") var validationSize = 500
        @Option(help: "Test examples evaluated each round.") var testSize = 500
        @Option(help: "Evaluators: ones that do not enumerate coalitions (exact ones refuse more than 16 clients).")
        var evaluators = "marginal,loo,gtg-shapley,banzhaf,cosine"
        @Option(help: "Seconds a round waits for updates.") var roundDeadline = 120.0
        @Option(help: "Seconds a connection may stay unregistered after a probe (the coordinator's --unregistered-timeout; 100 clients starting at once on 2 cores take longer to build their shards).")
        var unregisteredTimeout = 10.0
        @Option(help: "TLS engine (openssl, mbedtls).") var tlsEngine = TLSEngine.builtInDefault.rawValue
        @Option(help: "Rounds counted as warm-up (excluded from the RSS and descriptor checks).") var warmupRounds = 5
        @Option(help: "Largest allowed spread (max/min − 1) of the per-round RSS peaks after warm-up.") var rssTolerance = 0.10
        @Option(help: "Seconds between samples of the coordinator's /proc entries.") var interval = 0.25
        @Option(help: "Directory of the Fashion-MNIST IDX files (with --dataset fashion-mnist).") var dataDir = FashionMNIST.defaultDirectory
        @Option(help: "Output directory (the run's files, logs, samples and summary).") var out = "bench-soak"

        func run() throws {
            guard clients >= 1, rounds > warmupRounds, interval > 0 else {
                throw ValidationError("need clients ≥ 1, rounds > warmup-rounds and a positive interval")
            }
            guard TLSEngine(rawValue: tlsEngine) != nil else { throw ValidationError("unknown TLS engine '\(tlsEngine)'") }
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            print("bench soak: \(clients) client processes + coordinator over tls+tcp://127.0.0.1 (\(tlsEngine)), \(model), \(dataset), "
                  + "\(rounds) rounds, evaluators \(evaluators)")
            print(BenchMachine.describe() + "; open-file limit of this shell: soft \(limit.rlim_cur), hard \(limit.rlim_max); "
                  + "memory available \(Self.memAvailableMB()) MB")

            let coordinatorFlags: [String: String] = [
                "rounds": "\(rounds)", "model": model, "dataset": dataset, "evaluators": evaluators,
                "synthetic-count": "\(clients * perClient + validationSize + testSize)", "validation-size": "\(validationSize)",
                "test-size": "\(testSize)", "data-dir": dataDir, "log-level": "info", "registration-timeout": "600",
                "round-deadline": "\(roundDeadline)", "tls-engine": tlsEngine, "console-evaluator": "table",
                "unregistered-timeout": "\(unregisteredTimeout)",
            ]
            let clientFlags = ["data-dir": dataDir, "log-level": "info", "blas-threads": "1", "tls-engine": tlsEngine]
            var logger = Logger(label: "bench")
            logger.logLevel = .warning
            try? FileManager.default.removeItem(atPath: out)  // logs are appended to: start from an empty directory
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            let cluster = LocalCluster(options: .init(executable: executable, clients: clients, outputDirectory: out,
                                                      coordinatorFlags: coordinatorFlags, clientFlags: clientFlags, relayProgress: false),
                                       logger: logger)
            BenchClusterGuard.shared.install(cluster)
            defer { BenchClusterGuard.shared.install(nil) }

            let finished = ClusterOutcome()
            let start = Date()
            Thread.detachNewThread {
                do { finished.set(status: try cluster.run()) } catch { finished.set(status: -1, error: "\(error)") }
            }
            let layout = RunLayout(directory: out)
            var samples: [Sample] = []
            var clientRSS: (round: Int, mb: Double)? = nil
            let csv = SampleFile(path: out + "/soak-samples.csv")  // written as it goes: a hung or killed run keeps its samples
            while !finished.done {
                usleep(UInt32(interval * 1_000_000))
                guard let pid = cluster.processIDs["coordinator"], let process = ProcStat(pid: pid) else { continue }
                let completed = Self.lineCount(layout.rounds)
                let sample = Sample(seconds: Date().timeIntervalSince(start), completedRounds: completed, rssKB: process.rssKB,
                                    descriptors: process.descriptors, threads: process.threads, cpuSeconds: process.cpuSeconds)
                samples.append(sample)
                csv.append(sample)
                // Once, mid-run: what the client processes hold in memory together.
                if clientRSS == nil && completed >= rounds / 2 {
                    let pids = cluster.processIDs.filter { $0.key != "coordinator" }.values
                    let total = pids.compactMap { ProcStat(pid: $0)?.rssKB }.reduce(0, +)
                    clientRSS = (completed, Double(total) / 1024)
                }
            }
            let wall = Date().timeIntervalSince(start)
            var report = try SoakReport(directory: out, clients: clients, rounds: rounds, warmupRounds: warmupRounds, samples: samples,
                                        rssTolerance: rssTolerance)
            if finished.status != 0 {
                report.failures.append("the coordinator exited with status \(finished.status)\(finished.error.map { " (\($0))" } ?? "") (see \(layout.coordinatorLog))")
            }
            print(report.text(wallSeconds: wall, clientRSS: clientRSS))
            try report.json(wallSeconds: wall, clientRSSMB: clientRSS?.mb).write(toFile: out + "/soak-summary.json", atomically: true, encoding: .utf8)
            print("samples in \(out)/soak-samples.csv, summary in \(out)/soak-summary.json")
            if !report.failures.isEmpty {
                throw ValidationError("soak checks failed: " + report.failures.joined(separator: "; "))
            }
        }

        static func lineCount(_ path: String) -> Int {
            guard let data = FileManager.default.contents(atPath: path) else { return 0 }
            return data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }

        static func memAvailableMB() -> Int {
            guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
                  let kb = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return -1 }
            return kb / 1024
        }
    }
}

/// One sample of the coordinator process.
struct Sample {
    var seconds: Double
    /// Lines in rounds.jsonl when sampled: the sample was taken during round completedRounds + 1.
    var completedRounds: Int
    var rssKB: Int
    var descriptors: Int
    var threads: Int
    var cpuSeconds: Double
}

/// soak-samples.csv, one line appended per sample.
private struct SampleFile {
    let handle: FileHandle?

    init(path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data("seconds,completed_rounds,rss_kb,descriptors,threads,cpu_seconds\n".utf8))
        handle = FileHandle(forWritingAtPath: path)
        handle?.seekToEndOfFile()
    }

    func append(_ s: Sample) {
        handle?.write(Data("\(f(s.seconds, 2)),\(s.completedRounds),\(s.rssKB),\(s.descriptors),\(s.threads),\(f(s.cpuSeconds, 2))\n".utf8))
    }
}

/// What /proc says about a process now (nil once it has gone).
struct ProcStat {
    var rssKB = 0
    var threads = 0
    var descriptors = 0
    var cpuSeconds = 0.0

    init?(pid: Int32) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if parts.first == "VmRSS:", parts.count > 1 { rssKB = Int(parts[1]) ?? 0 }
            if parts.first == "Threads:", parts.count > 1 { threads = Int(parts[1]) ?? 0 }
        }
        descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count ?? 0
        // utime and stime: fields 14 and 15 of /proc/PID/stat, counted after the parenthesised command name.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) {
                cpuSeconds = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }
    }
}

/// The cluster thread's result, read by the sampling loop.
private final class ClusterOutcome: @unchecked Sendable {  // every field behind `lock`
    private let lock = NSLock()
    private var finished = false
    private var statusValue: Int32 = 0
    private var errorValue: String?

    func set(status: Int32, error: String? = nil) {
        lock.lock()
        finished = true
        statusValue = status
        errorValue = error
        lock.unlock()
    }

    var done: Bool { lock.withLock { finished } }
    var status: Int32 { lock.withLock { statusValue } }
    var error: String? { lock.withLock { errorValue } }
}
