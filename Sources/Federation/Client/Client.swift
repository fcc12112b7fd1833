import Adversary
import Foundation
import Learning
import Logging
import PKI
import Transport
import Wire

/// The client daemon: dials the coordinator (reconnecting with backoff), answers probes with its signed
/// registration and tasks with a signed update trained on its own shard.
public final class Client: @unchecked Sendable {  // run() is single-threaded; stop() only closes the socket
    public let config: ClientConfig
    private let logger: Logger
    private let strategy: any UpdateStrategy
    private let gate: TrainingGate?
    private let key: PrivateKey
    private let certificate: Certificate
    private let index: Int
    private let socket: Socket
    private let handshakes: HandshakeLog
    private var specJSON: String?
    private var spec: FederationSpec?
    private var shard: Dataset?
    /// Global models received in earlier rounds, for strategies that look back (bounded by RoundContext.historyLimit).
    private var history: [[Float]] = []
    private var lastRound: UInt64 = 0
    private let stopFlag = StopFlag()
    /// Raised once the client is done (finish message, no shard, or stop): a lost connection is then expected.
    private let finishing = StopFlag()
    private let inbox: ClientInbox
    private let link = CoordinatorLink()
    /// Seconds a client that is done waits for the coordinator to close the connection before closing it itself.
    static let hangUpWaitSeconds = 3.0

    /// Loads the client's key and certificate and starts dialing the coordinator. `gate`: in-process clients share one,
    /// so that no more of them train at once than there are cores.
    public init(config: ClientConfig, logger: Logger, strategy: any UpdateStrategy = HonestTraining(), gate: TrainingGate? = nil) throws {
        self.config = config
        self.logger = logger
        self.strategy = strategy
        self.gate = gate
        index = try DataSplits.shardIndex(of: config.id)
        key = try PrivateKey(pemFile: config.keyFile)
        certificate = try Certificate(pemFile: config.certificateFile)
        guard certificate.commonName == config.id else {
            throw FederationError.invalidSetting(key: "id", value: config.id, source: config.certificateFile,
                                                 expected: "the certificate's CN '\(certificate.commonName)'")
        }
        handshakes = HandshakeLog(logger: logger, server: false)
        if logger.logLevel <= .debug { TLSMessageTrace.enable(true) }
        socket = try Socket.respondent()
        let log = logger
        let connected = StopFlag()
        let link = self.link
        let finishing = self.finishing
        try socket.onPipeEvent { event, pipe in
            link.handle(event, pipe)
            switch event {
            case .added:
                connected.raise()
                log.info("connected to coordinator", metadata: ["pipe": "\(pipe)"])
            case .removed where finishing.isRaised:
                log.info("disconnected from coordinator; not reconnecting, this client is done", metadata: ["pipe": "\(pipe)"])
            case .removed: log.warning("disconnected from coordinator; reconnecting", metadata: ["pipe": "\(pipe)"])
            }
        }
        inbox = ClientInbox(socket: socket) { error in log.error("receive failed", metadata: ["error": "\(error)"]) }
        try socket.setReceiveMaxSize(64 << 20)
        try socket.setReconnect(minMilliseconds: 100, maxMilliseconds: 5000)
        // A first blocking dial surfaces why a connection is refused (nng retries a background dial silently). A path
        // that drops packets answers nothing until TCP gives up (about two minutes): say so long before that.
        let url = config.coordinator
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.silentDialWarningSeconds) {
            guard !connected.isRaised else { return }
            log.warning("no answer from the coordinator yet; still trying", metadata: [
                "coordinator": "\(url)", "seconds": "\(Int(Self.silentDialWarningSeconds))",
                "hint": "nothing answered at all: a firewall dropping packets, or the wrong address or port; the TCP connect gives up after about 2 minutes and is then retried",
            ])
        }
        do {
            try socket.dial(config.coordinator, tls: config.tls, blocking: true)
        } catch {
            logger.warning("cannot connect to coordinator yet; retrying in the background",
                           metadata: ["coordinator": "\(config.coordinator)", "error": "\(error)", "hint": "\(Self.hint(for: error, url: url))"])
            try socket.dial(config.coordinator, tls: config.tls, blocking: false)
        }
        logger.info("client started", metadata: ["id": "\(config.id)", "coordinator": "\(config.coordinator)",
                                                 "strategy": "\(strategy.options)", "tls": "\(config.tls != nil)"])
        if strategy.isAdversarial {
            logger.notice("ADVERSARIAL client: this client attacks the federation", metadata: [
                "attack": "\(strategy.options)", "id": "\(config.id)"])
        }
    }

    /// Seconds without any connection before the client says that nothing answers.
    static let silentDialWarningSeconds = 10.0

    /// What a failed first dial most likely means and what to do about it.
    static func hint(for error: TransportError, url: String) -> String {
        let host = (try? TransportURL(url))?.host ?? url
        switch error {
        case .connectionRefused:
            return "nothing listens there: is the coordinator running, and are host and port in --coordinator right?"
        case .cryptoRefused:
            return "TLS refused: use the ca.crt and client certificate of the coordinator's `fedattr pki init`, check they are in date, and that the coordinator's certificate names '\(host)' (pki init --host, or --server-name)"
        case .connectionShut:
            return "the coordinator closed the connection during set-up: it refused this client's certificate (another CA, expired, not a client certificate) or the scheme differs (tls+tcp:// vs tcp://)"
        case .invalidURL:
            // nng reports an unknown host name (EAI_NONAME) as an invalid address too.
            return "the host '\(host)' does not resolve or the URL is malformed: check its spelling, written as tls+tcp://HOST:PORT"
        case let .nng(_, code, _) where code == 8:  // NNG_EAGAIN: the name lookup failed
            return "the host name '\(host)' does not resolve: check its spelling in --coordinator (or use an IP address with --server-name)"
        case let .nng(_, code, _) where code == 14:  // NNG_EUNREACHABLE
            return "no route to '\(host)': check the address and the network"
        default:
            return "check --coordinator and that the coordinator is running"
        }
    }

    public func stop() {
        finishing.raise()
        stopFlag.raise()
        // Contexts still queued in the inbox are closed first: nng_close waits for every context of the socket.
        inbox.close()
        // nng 1.5.2 can wait in nng_close without end for a send its TLS layer stranded when the connection broke
        // mid-send (docs/SECURITY.md); the client still ends, saying so.
        if !socket.close(waitingAtMost: Self.closeWaitSeconds) {
            logger.warning("the connection to the coordinator was not released; stopping without it", metadata: [
                "waited_s": "\(Int(Self.closeWaitSeconds))",
                "hint": "nng 1.5.2 left a send pending on a broken TLS connection (docs/SECURITY.md)",
            ])
        }
    }

    /// Seconds `stop()` waits for nng to release the socket.
    static let closeWaitSeconds = 5.0

    private var isStopped: Bool { stopFlag.isRaised }

    /// Serves probes and tasks until the coordinator announces the end of the federation or `stop()` is called.
    /// When several messages are waiting (the client was busy past a deadline), only the newest probe and the newest
    /// task are answered: the coordinator has closed the older surveys. Throws when this client has no shard.
    public func run() throws {
        while !isStopped {
            let items = inbox.takeAll()
            if items.isEmpty { break }
            let taken = RoundTimeline.now()
            var probe: (ClientInbox.Item, ProbeMessage)?
            var task: (ClientInbox.Item, TaskMessage)?
            var timeline = RoundTimeline(round: 0, side: config.id)
            for item in items {
                do {
                    let decoded = try WireCodec.decode(item.received.bytes)
                    let decodedAt = RoundTimeline.now()
                    switch decoded {
                    case let .probe(p):
                        probe?.0.context.close()
                        probe = (item, p)
                    case let .task(t):
                        // Every task's ledger head is logged, answered or not: the log is the client's copy of the ledger's history.
                        logger.info(LedgerHeadSeenEvent.message, metadata: LedgerHeadSeenEvent(task: t).metadata)
                        if let (older, old) = task {
                            logger.warning("skipped a task: a newer round started while this client was busy",
                                           metadata: ["round": "\(old.round)", "newer_round": "\(t.round)"])
                            older.context.close()
                        }
                        task = (item, t)
                        timeline = RoundTimeline(round: t.round, side: config.id)
                        timeline.mark("received", at: item.micros)
                        timeline.mark("taken", at: taken)
                        timeline.mark("decoded", at: decodedAt)
                    case let .finish(f):
                        finishing.raise()
                        logger.info(LedgerHeadSeenEvent.message, metadata: LedgerHeadSeenEvent(finish: f).metadata)
                        logger.info("federation finished; exiting", metadata: ["round": "\(f.round)", "reason": "\(f.reason)"])
                        items.forEach { $0.context.close() }
                        link.waitUntilDisconnected(seconds: Self.hangUpWaitSeconds)  // the coordinator closes right after
                        stop()
                        return
                    case let message:
                        logger.warning("ignored unexpected message", metadata: ["type": "\(message.typeName)"])
                        item.context.close()
                    }
                } catch {
                    logger.error("message refused", metadata: ["error": "\(error)"])
                    item.context.close()
                }
            }
            for (item, p) in probe.map({ [$0] }) ?? [] {
                defer { item.context.close() }
                try serve { try answer(p, on: item.context) }
            }
            for (item, t) in task.map({ [$0] }) ?? [] {
                defer { item.context.close() }
                try serve { try answer(t, on: item.context, timeline: &timeline) }
            }
        }
    }

    /// Runs one answer; a failure is logged and the client goes on, except that a client without a shard, or whose
    /// strategy cannot run on the federation's data, stops (the coordinator then does not wait for it each round).
    private func serve(_ body: () throws -> Void) throws {
        do { try body() } catch let error as FederationError {
            if case .strategyCannotRun = error {
                logger.critical("the strategy cannot run on this federation's data; stopping", metadata: ["error": "\(error)"])
                stop()
                throw error
            }
            if case .noShard = error {
                logger.critical("this certificate names no shard of the federation; stopping", metadata: ["error": "\(error)"])
                finishing.raise()
                link.waitUntilDisconnected(seconds: Self.hangUpWaitSeconds)  // the coordinator closes a refused non-member
                stop()
                throw error
            }
            logger.error("message refused", metadata: ["error": "\(error)"])
        } catch {
            logger.error("message refused", metadata: ["error": "\(error)"])
        }
    }

    /// Registers, then loads the shard. A client whose certificate names no shard still sends its signed registration,
    /// so that the coordinator logs the refusal and its reason, and then stops.
    ///
    /// Registering needs no data, so the client answers first and builds its shard afterwards: 100 clients building
    /// their shards at once on a loaded machine took 30–40 s, long past the coordinator's `--unregistered-timeout`,
    /// which then closed them as connections that never register (docs/SECURITY.md).
    private func answer(_ probe: ProbeMessage, on reply: SocketContext) throws {
        var refusal: FederationError?
        do {
            if probe.spec != specJSON { _ = try memberSpec(json: probe.spec) }
        } catch let error as FederationError {
            guard case .noShard = error else { throw error }
            refusal = error
        }
        let signature = try key.sign(RegisterMessage.signingBytes(nonce: probe.nonce, clientID: config.id))
        let registration = RegisterMessage(nonce: probe.nonce, clientID: config.id, certificateDER: certificate.der, signature: signature)
        try reply.send(WireCodec.encode(.register(registration)))
        logger.debug("registration sent")
        if let refusal { throw refusal }
        try prepare(specJSON: probe.spec)
    }

    private func answer(_ task: TaskMessage, on reply: SocketContext, timeline: inout RoundTimeline) throws {
        try prepare(specJSON: task.spec)
        guard let spec, let shard else { return }
        let started = Date()
        let context = RoundContext(task: task, modelSpec: spec.modelSpec, shard: shard, clientIndex: index,
                                   clientID: config.id, history: history)
        let strategy = self.strategy
        let local: LocalUpdate
        do {
            if let gate {
                local = try gate.run(work: shard.count) {
                    timeline.mark("gate")
                    return try strategy.update(context)
                }
            } else {
                local = try strategy.update(context)
            }
        } catch {
            logger.error("the strategy failed; no update sent this round", metadata: [
                "round": "\(task.round)", "strategy": "\(strategy.options)", "error": "\(error)"])
            return
        }
        timeline.mark("strategy")
        if task.round > lastRound {
            history.append(task.parameters)
            if history.count > RoundContext.historyLimit { history.removeFirst(history.count - RoundContext.historyLimit) }
            lastRound = task.round
        }
        let baseDigest = ParameterVector.digest(task.parameters)
        let updateDigest = ParameterVector.digest(local.delta)
        timeline.mark("digested")
        let samples = UInt32(clamping: local.sampleCount)
        let signed = UpdateMessage.signingBytes(nonce: task.nonce, round: task.round, clientID: config.id, sampleCount: samples,
                                                baseModelDigest: baseDigest, updateDigest: updateDigest)
        let update = UpdateMessage(round: task.round, nonce: task.nonce, clientID: config.id, certificateDER: certificate.der,
                                   sampleCount: samples, trainLoss: Float(local.trainLoss), baseModelDigest: baseDigest,
                                   update: local.delta, signature: try key.sign(signed))
        timeline.mark("signed")
        let encoded = WireCodec.encode(.update(update))
        timeline.mark("encoded")
        let sending = Date()
        try reply.send(encoded)
        timeline.mark("sent")
        let event = UpdateSentEvent(round: task.round, samples: samples, trainLoss: local.trainLoss,
                                    workMillis: Int(sending.timeIntervalSince(started) * 1000),
                                    sendMillis: Int(Date().timeIntervalSince(sending) * 1000))
        logger.info(UpdateSentEvent.message, metadata: event.metadata)
        if logger.logLevel <= .debug {
            timeline.mark(TLSMessageTrace.drain(), kinds: [.firstReceived, .lastReceived])
            timeline.log(to: logger)
        }
        if !local.report.isEmpty {
            logger.notice("attack round", metadata: local.report.mapValues { .string($0) }.merging(["round": "\(task.round)"]) { $1 })
        }
    }

    /// The federation `json` describes, if this client's certificate names one of its shards (else `noShard`).
    private func memberSpec(json: String) throws -> FederationSpec {
        let spec = try FederationSpec.parse(json: json)
        guard index < spec.clients else {
            throw FederationError.noShard(client: config.id, index: index, partitions: spec.clients)
        }
        return spec
    }

    /// Loads this client's shard the first time a spec arrives (and again if the coordinator's spec changes).
    private func prepare(specJSON json: String) throws {
        if json == specJSON { return }
        let spec = try memberSpec(json: json)
        let splits = try DataSplits.cached(spec: spec, dataDirectory: config.dataDirectory)
        let shard = splits.shard(index)
        do { try strategy.check(featureCount: shard.featureCount, classCount: shard.classCount) } catch {
            throw FederationError.strategyCannotRun(strategy: "\(strategy.options)", reason: "\(error)")
        }
        let parameterCount = Model(spec: spec.modelSpec, seed: 0).parameterCount
        try socket.setReceiveMaxSize(DecodeLimits.maxTaskMessageBytes(parameters: parameterCount))
        self.spec = spec
        self.shard = shard
        specJSON = json
        logger.info("data shard loaded", metadata: [
            "dataset": "\(spec.dataset)", "partition": "\(spec.partition)", "samples": "\(shard.count)",
            "indices_sha256": "\(DataSplits.digest(of: splits.partitions[index]))",
            "label_histogram": "\(shard.labelHistogram().map(String.init).joined(separator: ","))",
        ])
    }
}
