import Adversary
import ArgumentParser
import Dispatch
import Federation
import Foundation
import Learning
import Wire

extension Bench {
    /// The attacker's extra work per round: each attack's `update` (the code an attacking client runs) timed next to
    /// `HonestTraining.update` on the same round context, single thread.
    struct Attack: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "attack",
            abstract: "Time each attack's update against an honest client's on the same round (one client's shard, round 2).",
            discussion: "The federation is the one the options describe (defaults: the attacked setting of docs/RESULTS.md: "
                + "fashion-mnist, 10 clients, mlp, dirichlet:0.3, train limit 10,000). Round 1 is played honestly by every "
                + "client and averaged (FedAvg) so that round 2 has a trained model and a last global movement; then "
                + "honest training and every attack in --attacks compute --id's round-2 update, --repeats times each, and "
                + "the median wall and CPU time are printed with the ratio to honest training.")

        @OptionGroup var shared: SharedOptions
        @OptionGroup var federation: FederationOptions
        @Option(help: "The client whose shard and round the strategies share.") var id = "client-2"
        @Option(help: "Attacks to time, comma-separated NAME or NAME(key=value;…); generator=PATH is added to those that decode.")
        var attacks = "attribution-first,random-latents,label-noise,duplicate,scale(k=3),free-rider(mode=stale)"
        @Option(help: "Generator file for the attacks that decode (default: train one on the public slice first, untimed).")
        var generator: String?
        @Option(name: .customLong("generator-epochs"), help: "Epochs of the generator trained when --generator is not given.")
        var generatorEpochs = 10
        @Option(help: "Timed updates per strategy after one untimed warm-up; the median is reported.") var repeats = 5

        func validate() throws {
            guard (1...1000).contains(repeats) else { throw ValidationError("--repeats must be in 1...1000") }
            guard (1...1000).contains(generatorEpochs) else { throw ValidationError("--generator-epochs must be in 1...1000") }
        }

        func run() throws {
            var flags = ["dataset": "fashion-mnist", "clients": "10", "model": "mlp", "partition": "dirichlet:0.3",
                         "train-limit": "10000", "listen": "inproc://bench-attack", "blas-threads": "1",
                         "out": NSTemporaryDirectory() + "fedattr-bench-attack-\(getpid())"]
            flags.merge(shared.flags.merging(federation.flags) { $1 }) { $1 }
            let config = try CoordinatorConfig(settings: try Settings(flags: flags, configFile: shared.config))
            BLASThreads.set(config.blasThreads)
            let spec = config.spec
            let index = try DataSplits.shardIndex(of: id)
            guard index < spec.clients else { throw ValidationError("\(id) is outside the \(spec.clients) clients") }
            let items = attacks.split(separator: ",", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
            let names = try items.map { try StrategyRegistry.make($0).name }   // refuse bad names and options before any work
            let splits = try DataSplits(spec: spec, dataDirectory: config.dataDirectory)
            print("bench attack: \(spec.dataset), \(spec.clients) clients, \(spec.model), \(spec.partition), \(id) holds "
                  + "\(splits.shard(index).count) images; \(config.blasThreads) BLAS thread(s); median of \(repeats)")
            print(BenchMachine.describe())

            let path = try generatorPath(splits)
            let context = roundTwo(splits: splits, spec: spec, config: config, index: index)
            let honest = time { _ = HonestTraining().update(context) }
            print(line("honest (baseline)", honest, honest))
            for (item, name) in zip(items, names) {
                var text = item
                if ["attribution-first", "random-latents"].contains(name), !item.contains("generator=") {
                    text = item.hasSuffix(")") ? String(item.dropLast()) + ";generator=\(path))" : "\(item)(generator=\(path))"
                }
                let strategy = try StrategyRegistry.make(text)
                var failure: Error?
                let t = time { do { _ = try strategy.update(context) } catch { failure = error } }
                if let failure { throw ValidationError("\(item) failed: \(failure)") }
                print(line(item, t, honest))
            }
        }

        /// The generator file the decoding attacks read: --generator, or one trained now on the public slice.
        func generatorPath(_ splits: DataSplits) throws -> String {
            if let generator { return generator }
            let data = splits.publicSet()
            guard data.count > 0 else { throw ValidationError("no public images to train a generator on; pass --generator") }
            var vae = VAE(pixels: data.featureCount, classes: data.classCount, seed: 1)
            let start = DispatchTime.now()
            _ = vae.train(on: data, epochs: generatorEpochs, seed: 2)
            let path = NSTemporaryDirectory() + "fedattr-bench-attack-gen-\(getpid()).safetensors"
            try GeneratorFile.write(vae, metadata: ["source": "public", "images": "\(data.count)"], to: path)
            print("generator: trained on \(data.count) public images, \(generatorEpochs) epochs, in "
                  + "\(f(seconds(start, DispatchTime.now()), 1)) s (untimed below)")
            return path
        }

        /// Round 2 as client `index` sees it: round 1 trained honestly by every client and averaged by sample count.
        func roundTwo(splits: DataSplits, spec: FederationSpec, config: CoordinatorConfig, index: Int) -> RoundContext {
            let initial = Model(spec: spec.modelSpec, seed: config.modelSeed).parameters
            func task(_ round: UInt64, _ parameters: [Float]) -> TaskMessage {
                TaskMessage(round: round, nonce: [UInt8](repeating: UInt8(round), count: 32), deadlineMillis: 60_000,
                            hyperparameters: config.hyperparameters, spec: spec.json(), parameters: parameters)
            }
            var sum = [Double](repeating: 0, count: initial.count), total = 0.0
            for i in 0..<spec.clients where splits.shard(i).count > 0 {
                let shard = splits.shard(i)
                let update = HonestTraining().update(RoundContext(task: task(1, initial), modelSpec: spec.modelSpec, shard: shard,
                                                                  clientIndex: i, clientID: "client-\(i)"))
                for j in sum.indices { sum[j] += Double(update.sampleCount) * Double(update.delta[j]) }
                total += Double(update.sampleCount)
            }
            let global = initial.indices.map { initial[$0] + Float(sum[$0] / max(total, 1)) }
            return RoundContext(task: task(2, global), modelSpec: spec.modelSpec, shard: splits.shard(index), clientIndex: index,
                                clientID: id, history: [initial])
        }

        /// Median wall and process-CPU milliseconds of `body` over --repeats runs after one warm-up.
        func time(_ body: () -> Void) -> (wall: Double, cpu: Double) {
            body()
            var wall: [Double] = [], cpu: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now(), cpuStart = processCPUSeconds()
                body()
                cpu.append((processCPUSeconds() - cpuStart) * 1000)
                wall.append(seconds(start, DispatchTime.now()) * 1000)
            }
            return (Stats.median(wall), Stats.median(cpu))
        }

        func line(_ name: String, _ t: (wall: Double, cpu: Double), _ honest: (wall: Double, cpu: Double)) -> String {
            "  \(pad(name, 40)) \(String(format: "%9.1f", t.wall)) ms wall \(String(format: "%9.1f", t.cpu)) ms cpu  "
                + "\(String(format: "%6.2f", t.cpu / max(honest.cpu, 1e-6)))x honest (cpu), extra \(String(format: "%+.1f", t.cpu - honest.cpu)) ms"
        }
    }
}
