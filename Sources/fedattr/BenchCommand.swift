import ArgumentParser
import Federation
import Foundation
import Learning

/// `fedattr bench …`: micro-benchmarks of the numerical core.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: training vs NumPy, round overhead over TLS, exact Shapley fast vs straightforward, the in-process engine, robust rules and detectors, an attacker's update next to an honest one.",
        subcommands: [Train.self, Round.self, Shapley.self, InProcess.self, Robust.self, Soak.self, Attack.self]
    )

    /// One epoch of MLP 784-128-10 SGD on Fashion-MNIST in Swift, then the same in NumPy, and the ratio.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train MLP 784-128-10 for one epoch; compare samples/second with Benchmarks/train_numpy.py."
        )

        @Option(help: "Training images (the first N of the training split).") var images = 12_000
        @Option(help: "Mini-batch size.") var batch = 32
        @Option(help: "BLAS threads, for Swift and NumPy alike.") var threads = 1
        @Option(help: "SGD learning rate.") var learningRate: Float = 0.05
        @Option(help: "Directory with the gzipped IDX files.") var data = FashionMNIST.defaultDirectory
        @Option(help: "Path of train_numpy.py (default: Benchmarks/train_numpy.py in the working directory or the source tree).")
        var script: String?
        @Option(help: "Python interpreter.") var python = "python3"
        @Option(help: "Timed epochs per side, each from the same fresh model; the median is reported.") var repeats = 1
        @Flag(help: "Skip the NumPy run.") var swiftOnly = false

        func run() throws {
            BLASThreads.set(threads)
            let train = try FashionMNIST.load(.train, directory: data, limit: images)
            let model = Model(spec: .mlp(hidden: [128]), seed: 1)
            // The first layer through the row kernel (what clients run), then through BLAS on a gathered batch.
            let blas: (name: String, kernel: DenseKernel?) = ("BLAS on a gathered batch", nil)
            let variants = DenseKernel.best.flatMap { model.trainsFirstLayer(with: $0) ? [("row kernel \($0.name)", $0), blas] : nil } ?? [blas]
            // Warm-up on a throwaway copy (OpenBLAS buffers, first touches); train_numpy.py does the same.
            var warmup = model
            for variant in variants {
                _ = Trainer.train(&warmup, on: train.subset(Array(0..<min(train.count, 10 * batch))), epochs: 1, batchSize: batch,
                                  optimizer: SGD(learningRate: learningRate), seed: 3, firstLayer: variant.kernel)
            }
            var swiftRates: [(wall: Double, cpu: Double)] = []
            for variant in variants {
                var wallRates: [Double] = [], cpuRates: [Double] = []
                var report = TrainingReport(meanLoss: 0, samples: 0, seconds: 0)
                for _ in 0..<max(1, repeats) {
                    var fresh = model
                    let cpuStart = processCPUSeconds()
                    report = Trainer.train(&fresh, on: train, epochs: 1, batchSize: batch, optimizer: SGD(learningRate: learningRate), seed: 2,
                                           firstLayer: variant.kernel)
                    let cpuSeconds = processCPUSeconds() - cpuStart
                    wallRates.append(Double(report.samples) / report.seconds)
                    cpuRates.append(Double(report.samples) / cpuSeconds)
                }
                let wall = Percentiles.median(wallRates), cpu = Percentiles.median(cpuRates)
                swiftRates.append((wall, cpu))
                print("swift, first layer by \(variant.name): \(format(wall)) samples/s, \(format(cpu)) samples/CPU-s (\(report.samples) samples, "
                      + "batch \(batch), \(threads) BLAS thread(s), OpenBLAS core \(BLASThreads.coreName), mean loss \(format(report.meanLoss, 4))"
                      + (repeats > 1 ? ", median of \(repeats), wall range \(format(wallRates.min()!))–\(format(wallRates.max()!))" : "") + ")")
            }
            if swiftRates.count == 2 {
                print("row kernel vs BLAS: \(format(swiftRates[0].wall / swiftRates[1].wall, 2))x wall, \(format(swiftRates[0].cpu / swiftRates[1].cpu, 2))x CPU")
            }
            let swiftRate = swiftRates[0].wall, swiftCPURate = swiftRates[0].cpu
            if BLASThreads.coreName == "Prescott" {
                print("note: OpenBLAS runs its generic Prescott (SSE3) kernels, its fallback for CPUs it does not know; "
                      + "OPENBLAS_CORETYPE=SkylakeX (AVX-512) or Haswell (AVX2) in the environment selects faster ones")
            }
            guard !swiftOnly else { return }

            let result = try runNumPy()
            guard let numpyRate = result["samples_per_second"] as? Double else {
                throw ValidationError("NumPy run printed no samples_per_second")
            }
            let numpyCPURate = result["samples_per_cpu_second"] as? Double ?? .nan
            let loss = (result["mean_loss"] as? Double).map { format($0, 4) } ?? "?"
            let version = result["numpy"] as? String ?? "?"
            print("numpy: \(format(numpyRate)) samples/s, \(format(numpyCPURate)) samples/CPU-s (numpy \(version), mean loss \(loss)"
                  + (repeats > 1 ? ", median of \(repeats)" : "") + ")")
            print("swift (\(variants[0].name)) vs numpy: \(format(swiftRate / numpyRate, 2))x wall, \(format(swiftCPURate / numpyCPURate, 2))x CPU")
        }

        private func runNumPy() throws -> [String: Any] {
            let path = try locateScript()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, path, "--images", "\(images)", "--batch", "\(batch)",
                                 "--lr", "\(learningRate)", "--directory", data, "--repeats", "\(max(1, repeats))"]
            var environment = ProcessInfo.processInfo.environment
            environment["OPENBLAS_NUM_THREADS"] = "\(threads)"
            environment["OMP_NUM_THREADS"] = "\(threads)"
            environment["OPENBLAS_CORETYPE"] = nil      // these two slow a current NumPy on this machine
            environment["OPENBLAS_L2_SIZE"] = nil
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let bytes = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw ValidationError("\(python) \(path) exited with status \(process.terminationStatus)")
            }
            let lastLine = String(decoding: bytes, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            guard let object = try? JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any] else {
                throw ValidationError("cannot parse NumPy output: \(lastLine)")
            }
            return object
        }

        private func locateScript() throws -> String {
            if let script { return script }
            let sourceTree = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Benchmarks/train_numpy.py").path
            for candidate in ["Benchmarks/train_numpy.py", sourceTree] where FileManager.default.fileExists(atPath: candidate) {
                return candidate
            }
            throw ValidationError("Benchmarks/train_numpy.py not found; pass --script")
        }

        /// CPU time of the whole process (all threads), which discounts time lost to other processes on a shared machine.
        private func processCPUSeconds() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }

        private func format(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
    }
}
