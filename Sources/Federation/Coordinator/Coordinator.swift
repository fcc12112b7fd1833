import Adversary
import Aggregation
import Foundation
import Learning
import Logging
import PKI
import Transport
import Wire

/// The coordinator daemon: registers clients, then runs the rounds — broadcast the global model, collect signed
/// updates until the deadline, aggregate, score every participant, evaluate, log. Same code in-process and deployed.
public final class Coordinator: @unchecked Sendable {  // run() is single-threaded; stop() only closes the socket
    public let config: CoordinatorConfig
    private let logger: Logger
    private let socket: Socket
    private let pipes = PipeTable()
    private let handshakes: HandshakeLog
    private let verifier: IdentityVerifier
    private let robust: RoundAggregation
    private let output: RunOutput
    private let attribution: RoundAttribution
    private var model: Model
    private let validation: Dataset
    /// Samples each client trains on per epoch (its shard size), known from the spec: FedAvg weights are not self-reported.
    private let shardSizes: [Int]
    private let test: Dataset
    private let specJSON: String
    private let stopFlag = StopFlag()
    /// Earlier rounds' surveys, kept open (at most `maxOpenSurveys`) until their survey time ends so that late answers are logged.
    private var openSurveys: [SurveyCollector] = []
    private static let maxOpenSurveys = 8
    /// Seconds after which a connection the coordinator closed and nng still lists is reported as not released.
    private static let releaseWarningSeconds = 15.0
    /// Shuts down TCP connections that never completed the handshake (tls+tcp and tcp listeners only).
    private var stalledConnections: StalledConnectionReaper?
    private var lastMaintenance = Date.distantPast
    private var sweptReported = 0
    /// Rounds already complete when this process started (`--resume`), as read back from rounds.jsonl.
    private let resumedRecords: [RoundRecord]
    /// The running round's steps (`--log-level debug` logs them).
    private var timeline: RoundTimeline?

    /// Loads the validation and test data, builds the initial model, opens the output directory and listens.
    public init(config: CoordinatorConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        specJSON = config.spec.json()
        verifier = IdentityVerifier(trust: try TrustAnchor(caPEMFile: config.caFile))
        let splits = try DataSplits.cached(spec: config.spec, dataDirectory: config.dataDirectory)
        validation = splits.validation
        shardSizes = splits.partitions.map(\.count)
        test = try DataSplits.testSet(spec: config.spec, dataDirectory: config.dataDirectory, limit: config.testSize)
        model = Model(spec: config.spec.modelSpec, seed: config.modelSeed)
        var evaluatorStates: [String: String]? = nil
        if config.resume {
            // Cut the outputs back to the checkpoint before the ledger and attribution book read them.
            let checkpoint = try RunCheckpoint.read(directory: config.outputDirectory)
            guard checkpoint.specDigest == RunCheckpoint.specDigest(specJSON) else {
                throw FederationError.invalidSpec("--resume: the federation settings differ from those of the run in \(config.outputDirectory)")
            }
            guard checkpoint.parameters.count == model.parameterCount else {
                throw FederationError.invalidSpec("--resume: the checkpoint holds \(checkpoint.parameters.count) parameters, the model \(model.parameterCount)")
            }
            resumedRecords = try checkpoint.truncateOutputs(directory: config.outputDirectory)
            model.parameters = checkpoint.parameters
            verifier.restorePins(checkpoint.pinnedCertificates)
            evaluatorStates = checkpoint.evaluatorStates
            logger.notice("resuming", metadata: ["after_round": "\(checkpoint.round)", "ledger_head": "\(checkpoint.ledgerHead.prefix(16))",
                                                 "out": "\(config.outputDirectory)"])
        } else {
            resumedRecords = []
            if let aside = try PreviousRun.setAside(directory: config.outputDirectory) {
                logger.notice("the run already in the output directory was moved aside; this run starts over (--resume true continues a run instead)",
                              metadata: ["moved_to": "\(aside)"])
            }
        }
        robust = try RoundAggregation(config: config, root: splits.root)
        attribution = try RoundAttribution(config: config, validation: validation, rule: robust.rule)
        if let evaluatorStates, case let missing = try attribution.restore(evaluatorStates: evaluatorStates), !missing.isEmpty {
            logger.warning("the checkpoint holds no state for these evaluators; they restart from this round", metadata: [
                "evaluators": "\(missing.joined(separator: ","))"])
        }
        let sealKey: PrivateKey, sealCertificate: Certificate
        do {
            sealKey = try PrivateKey(pemFile: config.sealKeyFile)
            sealCertificate = try Certificate(pemFile: config.sealCertificateFile)
        } catch {
            throw FederationError.cannotRead(path: config.sealKeyFile, reason: "the coordinator seals its ledger with its own key and certificate (\(config.sealCertificateFile)): \(error)")
        }
        let seals = try LedgerSeals(directory: config.outputDirectory, key: sealKey, certificate: sealCertificate,
                                    round: resumedRecords.last?.round ?? 0, head: attribution.ledgerHead)
        output = try RunOutput(directory: config.outputDirectory, archiveUpdates: config.archiveUpdates, resume: config.resume, seals: seals)
        try output.recordTrustAnchor(caFile: config.caFile)

        if logger.logLevel <= .debug { TLSMessageTrace.enable(true) }
        let descriptors = DescriptorLimit.raiseToHard()
        handshakes = HandshakeLog(logger: logger, server: true)
        socket = try Socket.surveyor()
        let pipes = self.pipes
        let log = logger
        try socket.onPipeEvent { event, pipe in
            pipes.handle(event, pipe)
            log.debug("pipe \(event)", metadata: ["pipe": "\(pipe)"])
        }
        try socket.setReceiveMaxSize(DecodeLimits.maxUpdateMessageBytes(parameters: model.parameterCount))
        // No receive timeout: on a surveyor it would cancel the survey. The survey time is the deadline.
        try socket.setReceiveTimeout(milliseconds: -1)
        try socket.listen(config.listen, tls: config.tls)
        stalledConnections = socket.boundPort.map(StalledConnectionReaper.init(port:))
        logger.info("listening", metadata: [
            "url": "\(config.listen)", "tls": "\(config.tls?.engine.rawValue ?? "none")", "model": "\(config.spec.model)",
            "parameters": "\(model.parameterCount)", "validation": "\(validation.count)", "test": "\(test.count)",
            "evaluators": "\(attribution.evaluatorNames.joined(separator: ","))", "aggregation": "\(robust.rule.name)",
            "detectors": "\(robust.detection.names.joined(separator: ","))", "drop_flagged": "\(robust.dropFlagged)",
            "descriptor_limit": "\(descriptors.soft)",
        ])
        if !config.evaluatorsLeftOut.isEmpty {
            logger.notice("default evaluators left out: they enumerate all 2^N coalitions and --clients exceeds their limit", metadata: [
                "left_out": "\(config.evaluatorsLeftOut.joined(separator: ","))", "clients": "\(config.spec.clients)"])
        }
    }

    /// Closes the socket; a running `run()` returns after the current step.
    public func stop() {
        stopFlag.raise()
        closeSocket()
    }

    /// Closes the listening socket, giving nng at most the client's bound to release it (nng 1.5.2 can hang in
    /// nng_close on a send stranded mid-TLS; docs/SECURITY.md): the coordinator stops anyway, and says so.
    private func closeSocket() {
        if !socket.close(waitingAtMost: Client.closeWaitSeconds) {
            logger.warning("the listening socket was not released; stopping without it", metadata: [
                "waited_s": "\(Int(Client.closeWaitSeconds))",
                "hint": "nng 1.5.2 left a send pending on a broken TLS connection (docs/SECURITY.md)",
            ])
        }
    }

    private var isStopped: Bool { stopFlag.isRaised }

    /// Registers the minimum number of clients, runs every round and writes the summary.
    @discardableResult
    public func run() throws -> RunSummary {
        let started = Date()
        var records = resumedRecords
        var roundsSeconds: Double?
        let initial = model.evaluate(test, parallel: true)
        do {
            let next = (records.last?.round ?? 0) + 1
            if next > config.rounds {
                // Killed after its last round was checkpointed (during the summary or the finish announcement): the
                // clients may be gone already, so there is nothing to wait for.
                logger.notice("nothing left to run: the checkpoint holds every round", metadata: ["rounds": "\(config.rounds)"])
            } else {
                try waitForClients()
                logger.info("initial model", metadata: ["test_accuracy": "\(initial.accuracy)", "test_loss": "\(initial.loss)"])
            }
            let roundsStart = Date()
            defer { roundsSeconds = Date().timeIntervalSince(roundsStart) }
            try runRounds(from: next, into: &records)
        } catch let error as FederationError where error.isUnwritableRound {
            // The outputs could not be written even after retrying: stop at this round boundary. Everything up to the
            // last checkpoint is intact; the clients keep dialing, so `--resume` continues with them.
            logger.critical("stopping: the run's files cannot be written; resume with --resume true once fixed", metadata: [
                "completed_rounds": "\(records.count)", "error": "\(error)",
            ])
            closeSocket()
            throw error
        } catch where isStopped {
            // A stop request (SIGTERM/SIGINT) ends the run between steps; an interrupted round is not recorded.
            logger.notice("stopping on request", metadata: ["completed_rounds": "\(records.count)"])
        }
        let summary = RunSummary(config: config, records: records, attribution: attribution.cumulative(),
                                 seconds: Date().timeIntervalSince(started), roundsSeconds: roundsSeconds)
        try output.writeSummary(summary)
        announceFinish(round: records.count, reason: isStopped ? "coordinator stopped" : "all \(config.rounds) rounds done")
        closeSocket()
        logger.info("federation finished", metadata: [
            "rounds": "\(records.count)", "test_accuracy": "\(records.last?.testAccuracy ?? initial.accuracy)",
            "seconds": "\(String(format: "%.1f", summary.seconds))", "out": "\(config.outputDirectory)",
        ])
        return summary
    }

    /// Tells the connected clients the federation is over so that they exit; nothing is awaited in return.
    private func announceFinish(round: Int, reason: String) {
        guard !isStopped else { return }
        let seal = output.seals.last
        let finish = FinishMessage(round: UInt64(round), nonce: Self.randomNonce(), reason: reason, ledgerRound: seal.round,
                                   ledgerHead: seal.head, ledgerSeal: seal.signature)
        do {
            try socket.setSurveyTime(milliseconds: 300)
            try socket.send(WireCodec.encode(.finish(finish)))
            usleep(300_000)  // let nng hand the message to every pipe before the socket closes
        } catch {
            logger.warning("could not announce the end of the federation", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Registration

    private func waitForClients() throws {
        let started = Date()
        var lastReport = 0
        while pipes.boundIdentities.count < config.minClients {
            if isStopped { throw TransportError.closed }
            let nonce = Self.randomNonce()
            let probe = ProbeMessage(round: 0, nonce: nonce, spec: specJSON)
            let probed = Date()
            let survey = try SurveyCollector(socket: socket, bytes: WireCodec.encode(.probe(probe)), surveyMilliseconds: 500) { _ in }
            // The probe ends early once enough clients are bound and every connection it reached has registered.
            let required = config.minClients, pipes = self.pipes, offered = pipes.livePipes
            let enough = { (answered: Set<PipeID>) in
                pipes.boundIdentities.count >= required && Self.allAnswered(offered, answered: answered, live: pipes.livePipes)
            }
            collect(survey, until: probed.addingTimeInterval(0.5), expected: nil, enough: enough) { arrival, message in
                let received = arrival.received
                guard case let .register(r) = message else {
                    return .failure(.unexpectedType("\(message.typeName) during registration"))
                }
                guard r.nonce == nonce else { return .failure(.wrongNonce(client: r.clientID)) }
                let signed = RegisterMessage.signingBytes(nonce: nonce, clientID: r.clientID)
                switch verifier.verify(claimedID: r.clientID, certificateDER: r.certificateDER, signature: r.signature, signedBytes: signed) {
                case let .failure(rejection): return .failure(rejection)
                case let .success(certificate):
                    guard isMember(r.clientID) else { return refuseNonMember(r.clientID, on: received.pipe) }
                    if let refusal = bind(received.pipe, to: certificate) { return .failure(refusal) }
                    logger.info("client registered", metadata: ["client": "\(r.clientID)", "pipe": "\(received.pipe)"])
                    return .success(())
                }
            }
            closeUnregisteredPipes(offeredBefore: probed)
            maintainConnections()
            let count = pipes.boundIdentities.count
            if count != lastReport {
                lastReport = count
                logger.info("waiting for clients", metadata: ["registered": "\(count)", "required": "\(config.minClients)"])
            }
            let waited = Date().timeIntervalSince(started)
            if config.registrationTimeout > 0, waited > config.registrationTimeout, count < config.minClients {
                throw FederationError.tooFewClients(registered: count, required: config.minClients, waitedSeconds: waited)
            }
        }
    }

    /// Binds a pipe to the client whose certificate signed its message. Under the OpenSSL engine a pipe that is not
    /// bound yet must have shown that same certificate in its TLS handshake, so a client cannot relay another's
    /// signed messages over its own connection (nng's mbedTLS engine exposes no peer certificate; docs/SECURITY.md).
    private func bind(_ pipe: PipeID, to certificate: Certificate) -> Rejection? {
        if pipes.identity(of: pipe) == nil, config.tls?.engine == .openssl {
            guard let peer = socket.pipeTLSPeer(pipe) else { return .tlsPeerUnknown(pipe: pipe, client: certificate.commonName) }
            guard peer.fingerprint == certificate.fingerprint else {
                return .tlsIdentityMismatch(client: certificate.commonName, tls: peer.commonName, pipe: pipe)
            }
        }
        return pipes.bind(pipe, to: certificate.commonName)
    }

    // MARK: Rounds

    private struct Accepted {
        var update: UpdateMessage
        var certificate: Certificate
        var updateDigest: [UInt8]
    }

    /// Runs rounds `first…config.rounds`, appending each one's record. Round r's bookkeeping (`finishRound`: attribution,
    /// evaluation, the round's files) runs on its own thread while round r+1 is broadcast and its clients train; at most
    /// one round's bookkeeping runs at a time, in round order. Round r+1's task therefore carries the seal of round r−1,
    /// the newest one written when it is sent (docs/PROTOCOL.md §4.4). A bookkeeping error (unwritable files) surfaces
    /// after the next round's collection and stops the run at the last checkpoint.
    private func runRounds(from first: Int, into records: inout [RoundRecord]) throws {
        var seal = output.seals.last
        var pending: RoundTail?
        func finishPending() throws {
            guard let tail = pending else { return }
            pending = nil
            records.append(try tail.wait())
        }
        for round in stride(from: first, through: config.rounds, by: 1) {
            let collected: CollectedRound
            do {
                collected = try collectRound(round, seal: seal)
            } catch {
                // Stopped during this round's collection: the round before is still recorded whole.
                try finishPending()
                throw error
            }
            try finishPending()
            seal = output.seals.last  // no bookkeeping runs now: the seal of the round just recorded
            if config.overlapRounds {
                let delay = config.bookkeepingDelay
                pending = RoundTail {
                    if delay > 0 { Thread.sleep(forTimeInterval: delay) }
                    return try self.finishRound(collected)
                }
            } else {
                records.append(try finishRound(collected))
                seal = output.seals.last
            }
        }
        try finishPending()
    }

    /// Broadcasts round `round`'s task (carrying `seal`), collects and verifies the updates until the deadline, and
    /// aggregates them into the new global model.
    private func collectRound(_ round: Int, seal: LedgerSeals.Seal) throws -> CollectedRound {
        let roundStart = Date()
        timeline = RoundTimeline(round: UInt64(round), side: "coordinator")
        defer { timeline = nil }
        timeline?.mark("round_start")
        var durations = RoundRecord.Durations()
        // A float16 task carries rounded values: the round starts from exactly what the clients receive.
        let base = config.float16 ? WireCodec.quantized(model.parameters, as: .float16) : model.parameters
        model.parameters = base
        let baseDigest = ParameterVector.digest(base)
        let nonce = Self.randomNonce()
        var hp = config.hyperparameters
        hp.seed = config.hyperparameters.seed &+ UInt64(round) &* 0x9E37_79B9
        let deadlineMillis = UInt32(config.roundDeadline * 1000)
        let task = TaskMessage(round: UInt64(round), nonce: nonce, deadlineMillis: deadlineMillis, hyperparameters: hp,
                               spec: specJSON, ledgerRound: seal.round, ledgerHead: seal.head, ledgerSeal: seal.signature,
                               parameters: base)
        pipes.sweep(exists: socket.pipeExists)
        let expected = pipes.boundPipes  // connections that never registered are not waited for
        // Named now: a client whose connection drops during the round is no longer in the pipe table at its end.
        let expectedNames = Dictionary(uniqueKeysWithValues: expected.map { ($0, pipes.identity(of: $0) ?? "pipe-\($0)") })
        let deadline = roundStart.addingTimeInterval(config.roundDeadline)
        // After the deadline the survey stays open for late answers, max(2 × deadline, 10 s) more, while few enough are open.
        openSurveys.removeAll { $0.isFinished }
        while openSurveys.count >= Self.maxOpenSurveys { openSurveys.removeFirst().cancel() }
        let taskBytes = WireCodec.encode(.task(task), encoding: config.float16 ? .float16 : .float32)
        timeline?.mark("task_encoded")
        let survey = try SurveyCollector(socket: socket, bytes: taskBytes,
                                         surveyMilliseconds: Int(deadlineMillis) + max(2 * Int(deadlineMillis), 10_000),
                                         decodeLimits: DecodeLimits(maxParameters: model.parameterCount, expectedParameters: model.parameterCount),
                                         onLate: lateUpdateLogger(round: round, deadline: deadline))
        timeline?.mark("broadcast_sent")
        openSurveys.append(survey)
        durations.broadcast = Self.ms(since: roundStart)
        logger.info("round started", metadata: ["round": "\(round)", "clients": "\(expected.count)", "nonce": "\(Digest.hex(nonce).prefix(16))"])

        var accepted: [String: Accepted] = [:]
        let collectStart = Date()
        let (answered, rejected) = collect(survey, until: deadline, expected: expected) { arrival, message in
            let received = arrival.received
            guard case let .update(u) = message else { return .failure(.unexpectedType(message.typeName)) }
            if u.round < UInt64(round) { return .failure(.staleRound(got: u.round, current: UInt64(round))) }
            if u.round > UInt64(round) { return .failure(.futureRound(got: u.round, current: UInt64(round))) }
            guard u.nonce == nonce else { return .failure(.wrongNonce(client: u.clientID)) }
            let updateDigest = arrival.updateDigest ?? ParameterVector.digest(u.update)
            let signed = UpdateMessage.signingBytes(nonce: u.nonce, round: u.round, clientID: u.clientID, sampleCount: u.sampleCount,
                                                    baseModelDigest: u.baseModelDigest, updateDigest: updateDigest)
            let certificate: Certificate
            switch verifier.verify(claimedID: u.clientID, certificateDER: u.certificateDER, signature: u.signature, signedBytes: signed) {
            case let .failure(rejection): return .failure(rejection)
            case let .success(c): certificate = c
            }
            if let bound = pipes.identity(of: received.pipe), bound != u.clientID {
                return .failure(.pipeBoundToOtherIdentity(pipe: received.pipe, bound: bound, claimed: u.clientID))
            }
            guard isMember(u.clientID), let index = try? DataSplits.shardIndex(of: u.clientID) else {
                return refuseNonMember(u.clientID, on: received.pipe)
            }
            if let refusal = bind(received.pipe, to: certificate) { return .failure(refusal) }
            guard u.baseModelDigest == baseDigest else { return .failure(.wrongBaseModel(client: u.clientID)) }
            guard accepted[u.clientID] == nil else { return .failure(.duplicate(client: u.clientID)) }
            guard u.sampleCount > 0 else { return .failure(.zeroSamples(client: u.clientID)) }
            let expectedSamples = hp.sampleCount(shardSize: shardSizes[index])
            guard Int(u.sampleCount) == expectedSamples else {
                return .failure(.wrongSampleCount(client: u.clientID, claimed: u.sampleCount, expected: expectedSamples))
            }
            accepted[u.clientID] = Accepted(update: u, certificate: certificate, updateDigest: updateDigest)
            timeline?.mark("verified")
            return .success(())
        }
        durations.collect = Self.ms(since: collectStart)
        timeline?.mark("collect_end")
        if isStopped { throw TransportError.closed }
        closeUnregisteredPipes(offeredBefore: roundStart)
        maintainConnections()
        let stragglers = expected.subtracting(answered).map { expectedNames[$0] ?? "pipe-\($0)" }.sorted()
        if !stragglers.isEmpty {
            logger.warning("stragglers left out", metadata: ["round": "\(round)", "clients": "\(stragglers.joined(separator: ","))"])
        }

        let ids = accepted.keys.sorted()
        let updates = ids.map { accepted[$0]!.update.update }
        let counts = ids.map { Int(accepted[$0]!.update.sampleCount) }
        var record = RoundRecord(round: round, time: ISO8601DateFormatter().string(from: Date()), participants: ids,
                                 sampleCounts: counts, stragglers: stragglers, rejected: rejected,
                                 utilityBefore: nil, utilityAfter: nil, validationAccuracy: 0, validationLoss: 0,
                                 testAccuracy: 0, testLoss: 0, durationsMs: durations)
        var outcome: RoundAggregation.Outcome? = nil
        if ids.isEmpty {
            logger.warning("no updates this round; global model unchanged", metadata: ["round": "\(round)"])
        } else {
            let t0 = Date()
            let o = try robust.run(round: round, base: base, clients: ids, sampleCounts: counts,
                               trainLosses: ids.map { Double(accepted[$0]!.update.trainLoss) }, updates: updates, logger: logger, timeline: &timeline)
            outcome = o
            model.parameters = ParameterVector.adding(o.result.aggregate, to: base)
            record.durationsMs.aggregate = Self.ms(since: t0)
            record.durationsMs.detect = o.detectMilliseconds
            timeline?.mark("aggregated")
            record.flagged = o.detection.flags.isEmpty ? nil : o.detection.flags
            record.aggregation = RoundRecord.Aggregation(o.result.decision)
        }
        let submissions = ids.map { id -> SubmissionRecord in
            let a = accepted[id]!
            return SubmissionRecord(client: id, certificate: a.certificate, update: a.update, updateDigest: a.updateDigest)
        }
        // The round's own TLS messages are all through by now; the next round's must not land in this timeline.
        if logger.logLevel <= .debug { timeline?.mark(TLSMessageTrace.drain(), kinds: [.sent, .firstReceived, .lastReceived]) }
        return CollectedRound(record: record, roundStart: roundStart, model: model, baseDigest: baseDigest, outcome: outcome,
                              submissions: submissions, pinnedCertificates: verifier.pinnedCertificates, timeline: timeline)
    }

    /// Round `collected.record.round`'s bookkeeping: scores the participants, evaluates the new model, writes the
    /// round's files (ledger, seal, checkpoint) and reports it. Touches nothing the next round's collection uses.
    private func finishRound(_ collected: CollectedRound) throws -> RoundRecord {
        var record = collected.record
        var timeline = collected.timeline
        let round = record.round, roundStart = collected.roundStart, model = collected.model
        var scores: RoundScores? = nil
        if let o = collected.outcome {
            let t1 = Date()
            scores = attribution.score(round: round, input: o.input, aggregate: o.result.aggregate, logger: logger)
            record.utilityBefore = scores?.utilityBefore
            record.utilityAfter = scores?.utilityAfter
            record.durationsMs.attribution = Self.ms(since: t1)
            timeline?.mark("attributed")
        }
        let t2 = Date()
        let v = model.evaluate(validation, parallel: true)
        let te = model.evaluate(test, parallel: true)
        record.validationAccuracy = v.accuracy
        record.validationLoss = v.loss
        record.testAccuracy = te.accuracy
        record.testLoss = te.loss
        record.durationsMs.evaluate = Self.ms(since: t2)
        timeline?.mark("evaluated")
        record.durationsMs.total = Self.ms(since: roundStart)

        let checkpoint = RunCheckpoint(round: round, parameters: model.parameters, ledgerHead: "",
                                       pinnedCertificates: collected.pinnedCertificates, specDigest: RunCheckpoint.specDigest(specJSON),
                                       evaluatorStates: try attribution.evaluatorStates())
        try output.writeRound(record, scores: scores, submissions: collected.submissions, refused: record.rejected,
                              modelDigest: collected.baseDigest, newModel: model.parameters, attribution: attribution,
                              checkpoint: checkpoint, retrySeconds: config.writeRetrySeconds, logger: logger,
                              aggregation: collected.outcome)
        timeline?.mark("written")
        logger.info("round finished", metadata: [
            "round": "\(round)", "participants": "\(record.participants.count)", "rejected": "\(record.rejected.count)",
            "stragglers": "\(record.stragglers.count)", "validation_accuracy": "\(v.accuracy)", "test_accuracy": "\(te.accuracy)",
            "ms": "\(Int(record.durationsMs.total))",
        ])
        let block = config.consoleEvaluator == CoordinatorConfig.consoleTable ? nil
            : attribution.block(record, of: config.rounds, choice: config.consoleEvaluator)
        block?.log(to: logger)
        timeline?.mark("round_end")
        if logger.logLevel <= .debug { timeline?.log(to: logger) }
        if config.printsProgress {
            if let block {
                FileHandle.standardOutput.write(Data(block.text.utf8))
            } else {
                output.printProgress(record, of: config.rounds, table: scores.map { _ in attribution.table(round: round) })
            }
        }
        return record
    }

    // MARK: Collecting responses

    private enum Outcome { case accepted, rejected }

    /// Takes the answers to `survey` until `deadline`, until every pipe in `expected` has answered or gone (checked at
    /// least every 100 ms, with pipes nng no longer knows swept away), or until `enough` holds for the pipes that have
    /// answered; `handle` accepts or refuses each decoded message. Answers arriving after that go to the survey's late
    /// handler. Returns the pipes that answered and the refusals.
    @discardableResult
    private func collect(_ survey: SurveyCollector, until deadline: Date, expected: Set<PipeID>?,
                         enough: ((Set<PipeID>) -> Bool)? = nil,
                         handle: (SurveyCollector.Arrival, Message) -> Result<Void, Rejection>) -> (Set<PipeID>, [RoundRecord.RejectedMessage]) {
        var answered = Set<PipeID>()
        var rejected: [RoundRecord.RejectedMessage] = []
        let limits = DecodeLimits(maxParameters: model.parameterCount, expectedParameters: model.parameterCount)
        defer { survey.closeRound() }
        while Date() < deadline, !isStopped {
            if let expected, Self.allAnswered(expected, answered: answered, live: pipes.livePipes) { break }
            guard let arrival = survey.next(before: min(deadline, Date().addingTimeInterval(0.1))) else {
                if survey.isFinished { break }  // the survey time is over, or the socket closed
                maintainConnections()
                continue
            }
            let received = arrival.received
            timeline?.mark("received", at: arrival.micros)
            timeline?.mark("taken")
            let outcome: Result<Void, Rejection>
            var claimed: String?
            do {
                let message = try arrival.decoded?.get() ?? WireCodec.decode(received.bytes, limits: limits)
                timeline?.mark("decoded")
                claimed = message.claimedClient
                outcome = handle(arrival, message)
            } catch {
                outcome = .failure(.undecodable("\(error)"))
            }
            // Only a pipe's verified identity names the client; what a refused message claims is kept apart.
            let client = pipes.identity(of: received.pipe)
            switch outcome {
            case .success:
                answered.insert(received.pipe)
            case let .failure(rejection):
                // A refused message from a known pipe still counts as its answer this round.
                if pipes.identity(of: received.pipe) != nil { answered.insert(received.pipe) }
                rejected.append(.init(pipe: received.pipe, client: client, claimedClient: claimed, code: rejection.code,
                                      reason: rejection.description, messageSha256: Digest.hex(Digest.sha256(received.bytes))))
                logger.warning("message rejected", metadata: [
                    "pipe": "\(received.pipe)", "client": "\(client ?? "-")", "claimed_client": "\(claimed ?? "-")",
                    "code": "\(rejection.code)", "reason": "\(rejection)",
                ])
            }
            if let enough, enough(answered) { break }
        }
        return (answered, rejected)
    }

    /// Whether every pipe of `expected` has answered or is gone.
    private static func allAnswered(_ expected: Set<PipeID>, answered: Set<PipeID>, live: Set<PipeID>) -> Bool {
        expected.subtracting(answered).isDisjoint(with: live)
    }

    /// Whether `clientID` names one of the federation's shards: a valid certificate of anyone else is never waited for.
    private func isMember(_ clientID: String) -> Bool {
        guard let index = try? DataSplits.shardIndex(of: clientID) else { return false }
        return index < shardSizes.count
    }

    /// Refuses a verified certificate that names no shard and closes its connection (an unbound one: a pipe bound to a
    /// member is never closed for what another identity claims on it). Nothing is ever expected from a non-member.
    private func refuseNonMember(_ clientID: String, on pipe: PipeID) -> Result<Void, Rejection> {
        if pipes.identity(of: pipe) == nil { close(pipe) }
        return .failure(.noShard(client: clientID))
    }

    /// At most once a second: forgets pipes nng no longer knows (whatever pipe events said) and shuts down TCP connections
    /// that have not become a pipe within `unregisteredTimeout` (a peer that never completes the TLS handshake).
    private func maintainConnections() {
        guard Date().timeIntervalSince(lastMaintenance) >= 1 else { return }
        lastMaintenance = Date()
        let gone = pipes.sweep(exists: socket.pipeExists)
        if !gone.isEmpty {
            logger.info("connections gone without a removal event", metadata: ["pipes": "\(gone.map(String.init).joined(separator: ","))"])
        }
        let swept = TLSEngine.sweptConnections
        if swept > sweptReported {
            logger.notice("TLS engine closed connections left on a hung-up socket or refused peers that stayed", metadata: [
                "count": "\(swept - sweptReported)", "total": "\(swept)",
            ])
            sweptReported = swept
        }
        let unreleased = pipes.unreleased(closedBefore: Date().addingTimeInterval(-Self.releaseWarningSeconds))
        if !unreleased.isEmpty {
            logger.warning("closed connections not released by nng", metadata: [
                "pipes": "\(unreleased.map(String.init).joined(separator: ","))", "closing": "\(pipes.closingCount)",
                "waited_s": "\(Int(Self.releaseWarningSeconds))",
                "hint": "nng 1.5.2 strands a pipe closed mid-message (docs/SECURITY.md)",
            ])
        }
        guard let stalledConnections else { return }
        let peers = Set(pipes.livePipes.compactMap(socket.pipeRemoteAddress))
        let reaped = stalledConnections.reap(timeout: config.unregisteredTimeout, pipePeers: peers)
        if !reaped.isEmpty {
            logger.notice("shut down connections that never completed the handshake", metadata: [
                "count": "\(reaped.count)", "timeout_s": "\(config.unregisteredTimeout)",
                "peers": "\(reaped.prefix(10).joined(separator: ","))\(reaped.count > 10 ? ",…" : "")",
            ])
        }
    }

    /// Closes connections that have not registered although they were connected for `unregisteredTimeout` and before
    /// `offeredBefore` (so they saw a probe or task they could have answered): they hold a descriptor and are no client.
    private func closeUnregisteredPipes(offeredBefore: Date) {
        let cutoff = min(offeredBefore, Date().addingTimeInterval(-config.unregisteredTimeout))
        for pipe in pipes.unbound(connectedBefore: cutoff) {
            logger.notice("closing connection that did not register", metadata: [
                "pipe": "\(pipe)", "remote": "\(socket.pipeRemoteAddress(pipe) ?? "-")",
                "timeout_s": "\(config.unregisteredTimeout)",
            ])
            close(pipe)
        }
    }

    /// Closes a connection the coordinator gives up on. The pipe stays listed (and is not closed again) until nng
    /// reports it gone; under the OpenSSL engine the engine retires it, so it is never closed mid-message.
    private func close(_ pipe: PipeID) {
        pipes.markClosing(pipe)
        socket.closePipe(pipe)
    }

    /// Logs an answer to round `round` that arrived after the round stopped taking answers: client, round, how late.
    private func lateUpdateLogger(round: Int, deadline: Date) -> @Sendable (SurveyCollector.Arrival) -> Void {
        let pipes = self.pipes
        let logger = self.logger
        let limits = DecodeLimits(maxParameters: model.parameterCount, expectedParameters: model.parameterCount)
        return { arrival in
            let message = try? WireCodec.decode(arrival.received.bytes, limits: limits)
            var round = "\(round)"
            if case let .update(u)? = message { round = "\(u.round)" }
            logger.warning("late update", metadata: [
                "round": "\(round)", "client": "\(pipes.identity(of: arrival.received.pipe) ?? "-")",
                "claimed_client": "\(message?.claimedClient ?? "-")", "pipe": "\(arrival.received.pipe)",
                // Negative: the round had closed early, every client it waited for having answered.
                "late_ms": "\(Int(arrival.time.timeIntervalSince(deadline) * 1000))",
            ])
        }
    }

    static func randomNonce() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    static func ms(since start: Date) -> Double { Date().timeIntervalSince(start) * 1000 }
}

extension Message {
    var typeName: String { type.description }

    var claimedClient: String? {
        switch self {
        case let .register(r): return r.clientID
        case let .update(u): return u.clientID
        default: return nil
        }
    }
}
