import Adversary
import Foundation
import Logging
@_exported import TestSupport
import PKI
import Transport
import Wire
@testable import Federation

/// A client's key and certificate, loaded from a PKI directory: what an attacker holding those files can use.
struct Identity: @unchecked Sendable {  // PrivateKey and Certificate are immutable after loading
    let id: String
    let key: PrivateKey
    let certificate: Certificate

    init(_ id: String, in layout: PKILayout) throws {
        self.id = id
        key = try PrivateKey(pemFile: layout.key(id))
        certificate = try Certificate(pemFile: layout.certificate(id))
    }

    init(id: String, key: PrivateKey, certificate: Certificate) {
        self.id = id
        self.key = key
        self.certificate = certificate
    }
}

/// An update answering `task` as a well-behaved client would build it, with each field overridable to craft an attack.
/// `signer` signs; `clientID` and `certificate` default to the signer's.
func craftUpdate(for task: TaskMessage, signer: Identity, clientID: String? = nil, certificate: Certificate? = nil,
                 sampleCount: UInt32? = nil, baseModelDigest: [UInt8]? = nil, delta: [Float]? = nil,
                 round: UInt64? = nil, nonce: [UInt8]? = nil) throws -> UpdateMessage {
    let id = clientID ?? signer.id
    let values = delta ?? smallDelta(count: task.parameters.count, seed: task.round)
    let base = baseModelDigest ?? Digest.sha256(WireCodec.tensorBytes(task.parameters))
    var update = UpdateMessage(round: round ?? task.round, nonce: nonce ?? task.nonce, clientID: id,
                               certificateDER: (certificate ?? signer.certificate).der,
                               sampleCount: try sampleCount ?? expectedSampleCount(for: task, clientID: id),
                               trainLoss: 1.0, baseModelDigest: base, update: values)
    update.signature = try signer.key.sign(update.signingBytes(updateDigest: Digest.sha256(WireCodec.tensorBytes(values))))
    return update
}

/// What an honest client of `clientID` reports: its shard size (from the task's spec) times the local epochs.
func expectedSampleCount(for task: TaskMessage, clientID: String) throws -> UInt32 {
    let spec = try FederationSpec.parse(json: task.spec)
    let splits = try DataSplits.cached(spec: spec, dataDirectory: "/nonexistent")
    let index = (try? DataSplits.shardIndex(of: clientID)) ?? 0
    return UInt32(task.hyperparameters.sampleCount(shardSize: splits.partitions[min(index, splits.partitions.count - 1)].count))
}

/// A deterministic, harmless update (|v| ≤ 1e-4).
func smallDelta(count: Int, seed: UInt64) -> [Float] {
    (0..<count).map { i in Float(1e-4) * Float(sin(Double(i) * 0.37 + Double(seed))) }
}

/// An attacker's raw respondent: dials the coordinator over mutual TLS with some valid credential, answers probes with a
/// correctly signed registration (when `registerAs` is set) and hands every task to the test, which answers it with any bytes.
final class RawRespondent: @unchecked Sendable {  // used from one thread at a time
    let socket: Socket
    let registerAs: Identity?
    private(set) var registrationsSent = 0

    init(url: String, tls: TLSSettings?, registerAs: Identity?) throws {
        self.registerAs = registerAs
        socket = try Socket.respondent()
        try socket.setReceiveMaxSize(0)
        try socket.setReceiveTimeout(milliseconds: 200)
        try socket.setSendTimeout(milliseconds: 2000)
        try socket.setReconnect(minMilliseconds: 50, maxMilliseconds: 250)
        try socket.dial(url, tls: tls, blocking: false)
    }

    /// Receives until a task arrives, answering probes on the way; throws `TransportError.timedOut` after `seconds`.
    func nextTask(within seconds: Double) throws -> TaskMessage {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let received: Received
            do { received = try socket.receive() } catch TransportError.timedOut { continue }
            switch try WireCodec.decode(received.bytes) {
            case let .task(task):
                return task
            case let .probe(probe):
                guard let me = registerAs else { continue }
                let signature = try me.key.sign(RegisterMessage.signingBytes(nonce: probe.nonce, clientID: me.id))
                let reply = RegisterMessage(nonce: probe.nonce, clientID: me.id, certificateDER: me.certificate.der, signature: signature)
                try socket.send(WireCodec.encode(.register(reply)))
                registrationsSent += 1
            default:
                continue
            }
        }
        throw TransportError.timedOut
    }

    func send(_ bytes: [UInt8]) throws { try socket.send(bytes) }

    func send(_ message: Message) throws { try socket.send(WireCodec.encode(message)) }

    func close() { socket.close() }
}

/// A real coordinator listening on tls+tcp://127.0.0.1:<free port> in this process, with a fresh PKI, honest in-process
/// `Client`s and a log file; attackers join with `respondent(...)`. Everything is stopped by `shutdown()`.
final class FederationHarness: @unchecked Sendable {  // configured on the test's thread; workers only touch their own objects
    let directory: TemporaryDirectory
    let pki: PKILayout
    let url: String
    let out: String
    let logPath: String
    let coordinator: Coordinator
    let rounds: Int
    private let logger: Logger
    private let sink: LogSink
    let honestIDs: [String]
    private var clients: [Client] = []
    private var clientRuns: [Background<Bool>] = []
    private var coordinatorRun: Background<Result<RunSummary, any Error>>?
    private var respondents: [RawRespondent] = []

    /// `clients` partitions of a synthetic pool (client-0 … client-(clients-1)); the PKI also has `pkiClients` credentials.
    /// `extraFlags` adds or overrides coordinator settings (e.g. `["float16": "true"]`).
    init(name: String, rounds: Int, honest: [String] = ["client-0"], clients: Int = 2, minClients: Int = 2,
         pkiClients: Int = 3, roundDeadline: Double = 20, registrationTimeout: Double = 30,
         extraFlags: [String: String] = [:], adjust: (inout CoordinatorConfig) -> Void = { _ in }) throws {
        directory = try TemporaryDirectory(name)
        self.rounds = rounds
        honestIDs = honest
        pki = try PKIBuilder.initialize(directory: directory.path + "/pki", clients: pkiClients)
        out = directory.path + "/out"
        logPath = directory.path + "/test.log"
        let sink = try LogSink(path: logPath)
        self.sink = sink
        logger = Logger(label: "coordinator") { label in LogfmtLogHandler(label: label, sink: sink) }
        url = "tls+tcp://127.0.0.1:\(try LocalCluster.freePort())"
        let settings = try Settings(flags: [
            "listen": url, "pki-dir": pki.directory, "rounds": "\(rounds)", "clients": "\(clients)",
            "min-clients": "\(minClients)", "round-deadline": "\(roundDeadline)",
            "registration-timeout": "\(registrationTimeout)", "dataset": "synthetic", "synthetic-count": "1500",
            "validation-size": "300", "test-size": "300", "partition": "iid", "model": "mlp:16", "batch-size": "50",
            "evaluators": "loo,shapley-exact", "out": out,
        ].merging(extraFlags) { $1 }, environment: [:])
        var config = try CoordinatorConfig(settings: settings)
        config.printsProgress = false
        adjust(&config)
        coordinator = try Coordinator(config: config, logger: logger)
    }

    /// TLS settings presenting `name`'s certificate and key (DIR/<name>.pem), checking the server as "localhost".
    func tls(as name: String) -> TLSSettings {
        TLSSettings(caFile: pki.caCertificate, certKeyFile: pki.bundle(name), serverName: "localhost")
    }

    func identity(_ id: String) throws -> Identity { try Identity(id, in: pki) }

    /// A raw respondent connected over TLS with `tlsName`'s credential, registering as `registerAs` (nil: never registers).
    func respondent(tlsAs tlsName: String, registerAs: String?) throws -> RawRespondent {
        let r = try RawRespondent(url: url, tls: tls(as: tlsName), registerAs: try registerAs.map { try identity($0) })
        respondents.append(r)
        return r
    }

    /// Starts the coordinator's run loop and the honest clients, each on its own thread.
    func start() throws {
        let coordinator = self.coordinator
        coordinatorRun = Background { Result { try coordinator.run() } }
        for id in honestIDs {
            let client = try makeClient(id)
            clientRuns.append(Background { (try? client.run()) != nil })
        }
    }

    /// A client `id` over TLS logging to the harness's log, running `strategy` (default honest); stopped by `shutdown()`.
    func makeClient(_ id: String, strategy: (any UpdateStrategy)? = nil) throws -> Client {
        let sink = self.sink
        var clientLogger = Logger(label: "client") { label in LogfmtLogHandler(label: label, sink: sink) }
        clientLogger[metadataKey: "client"] = "\(id)"
        let config = ClientConfig(id: id, coordinator: url, tls: tls(as: id), certificateFile: pki.certificate(id),
                                  keyFile: pki.key(id), dataDirectory: directory.path)
        let client = try Client(config: config, logger: clientLogger, strategy: strategy ?? HonestTraining())
        clients.append(client)
        return client
    }

    /// The coordinator's summary once `run()` returns, or an error saying it did not finish in time (then everything is stopped).
    func finish(within seconds: Double) throws -> RunSummary {
        guard let run = coordinatorRun else { throw HarnessError.notStarted }
        guard let result = run.wait(seconds: seconds) else {
            shutdown()
            throw HarnessError.coordinatorDidNotFinish(seconds: seconds, log: log())
        }
        return try result.get()
    }

    /// Stops every client, respondent and the coordinator; waits (bounded) for their threads. Idempotent.
    func shutdown() {
        for r in respondents { r.close() }
        for c in clients { c.stop() }
        coordinator.stop()
        for run in clientRuns { _ = run.wait(seconds: 5) }
        _ = coordinatorRun?.wait(seconds: 10)
    }

    /// Removes the temporary directory (after `shutdown()`).
    func cleanUp() { directory.remove() }

    /// rounds.jsonl, decoded.
    func roundRecords() throws -> [RoundRecord] {
        let decoder = RunJSON.decoder()
        return try lines(out + "/rounds.jsonl").map { try decoder.decode(RoundRecord.self, from: Data($0.utf8)) }
    }

    /// ledger.jsonl: per round, the (client, update digest hex) of every entry.
    func ledgerEntries() throws -> [Int: [(client: String, updateDigest: String)]] {
        var result: [Int: [(client: String, updateDigest: String)]] = [:]
        for line in try lines(out + "/ledger.jsonl") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let round = object["round"] as? Int, let entries = object["entries"] as? [[String: Any]] else {
                throw HarnessError.malformed(file: "ledger.jsonl", line: line)
            }
            result[round, default: []] += entries.map { ($0["client"] as? String ?? "?", $0["update_digest"] as? String ?? "?") }
        }
        return result
    }

    /// The refused messages each ledger record chains: round → [(code, message digest)].
    func ledgerRefusals() throws -> [Int: [(code: String, messageDigest: String)]] {
        var result: [Int: [(code: String, messageDigest: String)]] = [:]
        for line in try lines(out + "/ledger.jsonl") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let round = object["round"] as? Int else {
                throw HarnessError.malformed(file: "ledger.jsonl", line: line)
            }
            let refused = object["refused"] as? [[String: Any]] ?? []
            result[round] = refused.map { ($0["code"] as? String ?? "?", $0["message_digest"] as? String ?? "?") }
        }
        return result
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case notStarted
    case coordinatorDidNotFinish(seconds: Double, log: String)
    case malformed(file: String, line: String)

    var description: String {
        switch self {
        case .notStarted: return "harness not started"
        case let .coordinatorDidNotFinish(seconds, log): return "coordinator did not finish within \(seconds) s; log:\n\(log)"
        case let .malformed(file, line): return "malformed line in \(file): \(line)"
        }
    }
}

/// Hex SHA-256 of an update tensor, as the ledger records it.
func updateDigestHex(_ values: [Float]) -> String { Digest.hex(Digest.sha256(WireCodec.tensorBytes(values))) }
