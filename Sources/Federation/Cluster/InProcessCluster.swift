import Adversary
import Foundation
import Learning
import Logging
import PKI

/// `fedattr simulate` / `up --inproc`: the same Coordinator and Client code in one process over nng's inproc://
/// transport — for tests and sweeps. Identity is still certificate-bound: a throwaway PKI is made first.
public enum InProcessCluster {
    /// Runs a whole federation; `config.listen` is replaced by a fresh inproc:// URL. `plan` names the client that
    /// attacks; `strategies` overrides the strategy of single clients by shard index (tests, benchmarks). Clients in
    /// `absent` are not started (their shards stay unused: leave-one-client-out runs); `config.minClients` must allow for them.
    public static func run(config: CoordinatorConfig, logger: Logger, plan: AttackPlan? = nil,
                           strategies: [Int: any UpdateStrategy] = [:], absent: Set<Int> = []) throws -> RunSummary {
        var strategies = strategies
        if let plan, strategies[plan.attackerIndex] == nil {
            strategies[plan.attackerIndex] = try StrategyRegistry.make(plan.attack)
        }
        // An attack that cannot run on this data stops the run here, not a client thread in round 1.
        if !strategies.isEmpty {
            let pool = try DataSplits.cached(spec: config.spec, dataDirectory: config.dataDirectory).pool
            for (_, strategy) in strategies.sorted(by: { $0.key < $1.key }) {
                try strategy.check(featureCount: pool.featureCount, classCount: pool.classCount)
            }
        }
        var config = config
        // Ten client threads and the coordinator share the cores: OpenBLAS's own threads would contend with them
        // (and serialise concurrent callers), so every BLAS call runs in its calling thread; and no more clients train
        // at once than there are cores (TrainingGate), each in a core's caches.
        BLASThreads.set(config.blasThreads)
        let pkiDirectory = RunLayout(directory: config.outputDirectory).pki.directory
        try? FileManager.default.removeItem(atPath: pkiDirectory)
        let layout = try PKIBuilder.initialize(directory: pkiDirectory, clients: config.spec.clients)
        config.listen = "inproc://fedattr-\(UInt64.random(in: 0...UInt64.max))"
        config.tls = nil
        config.caFile = layout.caCertificate
        config.sealKeyFile = layout.key(PKILayout.coordinatorName)
        config.sealCertificateFile = layout.certificate(PKILayout.coordinatorName)
        let coordinator = try Coordinator(config: config, logger: logger)
        var clients: [Client] = []
        for i in 0..<config.spec.clients where !absent.contains(i) {
            let id = "client-\(i)"
            var clientConfig = ClientConfig(id: id, coordinator: config.listen, tls: nil,
                                            certificateFile: layout.certificate(id), keyFile: layout.key(id),
                                            dataDirectory: config.dataDirectory)
            var clientLogger = logger
            clientLogger[metadataKey: "client"] = "\(id)"
            let strategy = strategies[i] ?? HonestTraining()
            clientConfig.strategy = strategy.options
            clients.append(try Client(config: clientConfig, logger: clientLogger, strategy: strategy, gate: .processWide))
        }
        let group = DispatchGroup()
        for client in clients {
            group.enter()
            Thread.detachNewThread {
                do { try client.run() } catch { logger.error("client failed", metadata: ["error": "\(error)"]) }
                group.leave()
            }
        }
        defer {
            for client in clients { client.stop() }
            // nng 1.5.2's nng_close has been seen to hang in a client thread at shutdown; the run's results are
            // written by then, so a stuck client thread is reported and left behind rather than blocking the caller.
            if group.wait(timeout: .now() + 30) == .timedOut {
                logger.warning("a client thread did not stop within 30 s of the end of the federation; left behind")
            }
        }
        return try coordinator.run()
    }
}
