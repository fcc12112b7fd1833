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
        @Option(help: "TLS engines to compare, comma-separated (openssl, mbedtls); every strategy runs on each.") var tlsEngines = "openssl,mbedtls"
        @Option(help: "Partition of the training images (iid, dirichlet:ALPHA, shards:K).") var partition = "dirichlet:0.5"
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
        @Flag(help: "Log every process at debug level and print the per-message timeline of the rounds (CLOCK_MONOTONIC).") var timeline = false

        func run() throws {
            let names = strategies.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            for name in names { _ = try StrategyRegistry.make(name) }
            let engines = try tlsEngines.split(separator: ",").map { raw in
                guard let e = TLSEngine(rawValue: raw.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown TLS engine '\(raw)'; expected openssl or mbedtls")
                }
                return e
            }
            if costModelOnly {
                print(BenchMachine.describe())
                _ = try PKIBuilder.initialize(directory: RunLayout(directory: out).pki.directory, clients: clients)
                try CostModel.run(pkiDirectory: RunLayout(directory: out).pki.directory, modelSpec: try ModelSpec(parsing: model), clients: clients)
                return
            }
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            print("bench round: \(clients) client processes + coordinator over tls+tcp://127.0.0.1, \(model), \(dataset), "
                  + "\(rounds) rounds, evaluators \(evaluators), test \(testSize)\(float16 ? ", float16 tasks" : ""); \(repeats) run(s) per strategy")
            print(BenchMachine.describe())
            var results: [(strategy: String, runs: [RunStats])] = []
            var timelines: [(String, BenchTimeline)] = []
            for name in names {
                for engine in engines {
                    var runs: [RunStats] = []
                    var runTimeline = BenchTimeline()
                    let label = "\(name)/\(engine.rawValue)"
                    for r in 1...max(1, repeats) {
                        let directory = "\(out)/\(name)-\(engine.rawValue)-\(r)"
                        let load = BenchMachine.loadAverage()
                        let wall = Date()
                        try runCluster(executable: executable, strategy: name, engine: engine, directory: directory)
                        var stats = try RunStats(directory: directory)
                        stats.loadBefore = load
                        stats.wallSeconds = Date().timeIntervalSince(wall)
                        print(stats.line(label: "\(label) run \(r)"))
                        runs.append(stats)
                        if timeline { runTimeline.add(directory: directory) }
                    }
                    results.append((label, runs))
                    if timeline { timelines.append((label, runTimeline)) }
                }
            }
            print("")
            print("summary (ms per round; median of the per-run medians, [min–max of the per-run medians]; p10/p90 over all rounds of all runs)")
            print(pad("strategy/TLS", 18) + pad("overhead b+c+a", 26) + pad("p10/p90", 14) + pad("broadcast", 10)
                  + pad("collect", 10) + pad("aggregate", 10) + pad("total", 24) + pad("p10/p90", 14))
            for (name, runs) in results {
                let overhead = runs.map { Stats.median($0.overhead) }
                let total = runs.map { Stats.median($0.total) }
                let allOverhead = runs.flatMap(\.overhead), allTotal = runs.flatMap(\.total)
                print(pad(name, 18)
                      + pad("\(f(Stats.median(overhead), 2)) [\(f(overhead.min()!, 2))–\(f(overhead.max()!, 2))]", 26)
                      + pad("\(f(Stats.percentile(allOverhead, 0.1), 1))/\(f(Stats.percentile(allOverhead, 0.9), 1))", 14)
                      + pad(f(Stats.median(runs.map { Stats.median($0.broadcast) }), 2), 10)
                      + pad(f(Stats.median(runs.map { Stats.median($0.collect) }), 2), 10)
                      + pad(f(Stats.median(runs.map { Stats.median($0.aggregate) }), 2), 10)
                      + pad("\(f(Stats.median(total), 1)) [\(f(total.min()!, 1))–\(f(total.max()!, 1))]", 24)
                      + pad("\(f(Stats.percentile(allTotal, 0.1), 1))/\(f(Stats.percentile(allTotal, 0.9), 1))", 14))
            }
            print("")
            print("inside the clients (median over all updates of all runs, from logs/client-N.log 'update sent' work_ms + send_ms: "
                  + "strategy + 2 digests + sign + encode, + send)")
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
            for (label, t) in timelines {
                print("")
                print("timeline of \(label) (ms after the coordinator's round start; first / median / last over the clients, updates "
                      + "or pipes, each the median over \(t.rounds) rounds)")
                for line in t.lines() { print("  " + line) }
            }
            if !noCostModel, let first = results.first?.runs.first {
                print("")
                try CostModel.run(pkiDirectory: RunLayout(directory: first.directory).pki.directory, modelSpec: try ModelSpec(parsing: model), clients: clients)
            }
        }

        private func runCluster(executable: String, strategy: String, engine: TLSEngine, directory: String) throws {
            var coordinatorFlags: [String: String] = [
                "rounds": "\(rounds)", "model": model, "dataset": dataset, "evaluators": evaluators,
                "test-size": "\(testSize)", "epochs": "\(epochs)", "batch-size": "\(batchSize)",
                "data-dir": dataDir, "log-level": timeline ? "debug" : "info", "registration-timeout": "120",
                "partition": partition, "tls-engine": engine.rawValue,
            ]
            if trainLimit > 0 { coordinatorFlags["train-limit"] = "\(trainLimit)" }
            if float16 { coordinatorFlags["float16"] = "true" }
            let clientFlags = ["strategy": strategy, "data-dir": dataDir, "log-level": timeline ? "debug" : "info", "blas-threads": "1",
                               "tls-engine": engine.rawValue]
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
                throw ValidationError("coordinator exited with status \(status); see \(RunLayout(directory: directory).coordinatorLog)")
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
                let run = RunLayout(directory: directory)
                let text = try String(contentsOfFile: run.rounds, encoding: .utf8)
                let decoder = RunJSON.decoder()
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
                let coordinatorLog = (try? String(contentsOfFile: run.coordinatorLog, encoding: .utf8)) ?? ""
                for line in coordinatorLog.split(separator: "\n") where line.contains("msg=\"round started\"") {
                    if let t = Self.timestamp(line), let r = Self.field(line, "round") { started[Int(r)] = t }
                }
                let logs = (try? FileManager.default.contentsOfDirectory(atPath: run.logs)) ?? []
                for file in logs where file.hasSuffix(".log") {
                    guard let log = try? String(contentsOfFile: "\(run.logs)/\(file)", encoding: .utf8) else { continue }
                    for line in log.split(separator: "\n") {
                        guard let event = UpdateSentEvent(logfmtLine: line) else { continue }
                        let v = Double(event.workMillis + event.sendMillis)
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
        let digest = time { _ = ParameterVector.digest(parameters) }
        let zero = [Float](repeating: 0, count: count)
        let signing = UpdateMessage.signingBytes(nonce: nonce, round: 1, clientID: "client-0", sampleCount: 100,
                                                 baseModelDigest: ParameterVector.digest(parameters),
                                                 updateDigest: ParameterVector.digest(zero))
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
        print("  coordinator, once:       encode task \(us(encodeTask)), digest of the model \(us(digest))")
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

/// Stops the running benchmark cluster's processes on SIGINT/SIGTERM, then exits.
final class BenchClusterGuard: @unchecked Sendable {  // `current` and `sources` are behind `lock`
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
