import Adversary
import ArgumentParser
import Federation
import Foundation
import Learning

/// `fedattr generator train`: the attacker's conditional VAE, trained on the federation's public slice or on one
/// client's own shard, written as safetensors for `--attack attribution-first(generator=PATH)`.
struct GeneratorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generator",
        abstract: "Train the generator an attacking client decodes its injected images with.",
        subcommands: [Train.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Train a conditional VAE on public data (the spec's public-size slice no client holds) or on one client's shard.",
            discussion: "--out names the safetensors file to write (default gen.safetensors).")

        @OptionGroup var shared: SharedOptions
        @OptionGroup var federation: FederationOptions
        @Option(help: "public: the public slice of the training pool; local: the shard of --id only (needs nothing a participant lacks).")
        var source: String = "public"
        @Option(help: "The client whose shard --source local trains on (client-N).") var id: String?
        @Option(name: .customLong("generator-epochs"), help: "Training epochs.") var epochs: Int = 10
        @Option(help: "Latent dimensions (16–32 in the paper's spirit).") var latent: Int = 16
        @Option(help: "Hidden units of the encoder and decoder.") var hidden: Int = 256
        @Option(name: .customLong("generator-seed"), help: "Seed of the initialisation, shuffling and noise.") var generatorSeed: UInt64 = 1

        func validate() throws {
            guard ["public", "local"].contains(source) else { throw ValidationError("--source must be public or local, not '\(source)'") }
            guard source == "public" || id != nil else { throw ValidationError("--source local needs --id client-N") }
            guard (1...1000).contains(epochs), (1...1024).contains(latent), (1...8192).contains(hidden) else {
                throw ValidationError("--generator-epochs must be in 1...1000, --latent in 1...1024, --hidden in 1...8192")
            }
        }

        func run() throws {
            let settings = try Settings(flags: shared.flags.merging(federation.flags) { $1 }, configFile: shared.config)
            let out = federation.out ?? "gen.safetensors"
            let spec = try FederationSpec(settings: settings)
            let splits = try DataSplits(spec: spec, dataDirectory: try settings.required(.dataDir))
            let data: Dataset
            if source == "public" {
                data = splits.publicSet()
            } else {
                let index = try DataSplits.shardIndex(of: id!)
                guard index < spec.clients else { throw ValidationError("\(id!) is outside the \(spec.clients) clients") }
                data = splits.shard(index)
            }
            guard data.count > 0 else { throw ValidationError("no images to train on (public-size is \(spec.publicSize))") }
            BLASThreads.set(try settings.int(.blasThreads, range: 1...256))
            let start = ContinuousClock.now
            var vae = VAE(pixels: data.featureCount, classes: data.classCount, latent: latent, hidden: hidden, seed: generatorSeed)
            let before = vae.reconstructionLoss(on: data)
            let losses = vae.train(on: data, epochs: epochs, seed: generatorSeed &+ 1)
            let after = vae.reconstructionLoss(on: data)
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            try GeneratorFile.write(vae, metadata: [
                "source": source, "client": id ?? "", "images": "\(data.count)", "epochs": "\(epochs)",
                "labels": data.labelHistogram().map(String.init).joined(separator: ","), "spec": spec.json(),
            ], to: out)
            print("generator trained on \(data.count) \(source) images in \(String(format: "%.1f", seconds)) s: ELBO loss \(String(format: "%.1f", losses.first ?? 0)) → \(String(format: "%.1f", losses.last ?? 0)), reconstruction BCE \(String(format: "%.1f", before)) → \(String(format: "%.1f", after)) per image; wrote \(out)")
        }
    }
}
