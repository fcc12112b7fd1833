import Foundation
import Learning
import PKI
import Testing
@testable import Federation

/// tools/wire_reference.py, a client written from docs/PROTOCOL.md alone (Python: numpy, pynng, cryptography), computes
/// the same shards as the Swift code and takes part in a real federation over mutual TLS next to Swift clients.
/// Never skipped: `deploy/install-deps.sh` installs the Python packages (tools/requirements.txt).
@Suite(.serialized) struct PythonClientTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/wire_reference.py").path

    @Test func pythonComputesTheSameShardsAsSwiftForEveryScheme() throws {
        let dir = ProcessHarness.temporaryDirectory("pyshard")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let specs = [
            FederationSpec(dataset: "fashion-mnist", syntheticCount: 10, trainLimit: 3000, validationSize: 500,
                           partition: "dirichlet:0.3", partitionSeed: 7, clients: 5, model: "mlp"),
            FederationSpec(dataset: "fashion-mnist", syntheticCount: 10, trainLimit: 2000, validationSize: 100,
                           partition: "shards:2", partitionSeed: 3, clients: 4, model: "logreg"),
            FederationSpec(dataset: "fashion-mnist", syntheticCount: 10, trainLimit: 1001, validationSize: 100,
                           partition: "iid", partitionSeed: 1, clients: 3, model: "cnn"),
            FederationSpec(dataset: "synthetic", syntheticCount: 90, trainLimit: 0, validationSize: 30,
                           partition: "dirichlet:0.5", partitionSeed: 11, clients: 4, model: "mlp:16"),
        ]
        for (n, spec) in specs.enumerated() {
            let path = "\(dir)/spec-\(n).json"
            try spec.json().write(toFile: path, atomically: true, encoding: .utf8)
            let splits = try DataSplits(spec: spec, dataDirectory: FashionMNISTDirectory.path)
            for index in [0, spec.clients - 1] {
                let output = try Tool.python([Self.script, "shard", path, "\(index)", "--data-dir", FashionMNISTDirectory.path])
                let python = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
                #expect(python?["size"] as? Int == splits.partitions[index].count, "\(spec.partition) client \(index) size")
                #expect(python?["indices_sha256"] as? String == DataSplits.digest(of: splits.partitions[index]),
                        "\(spec.dataset) \(spec.partition) client \(index) indices")
            }
        }
    }

    /// Every model's parameter layout (PROTOCOL.md §12.3) and local SGD (§12.4) as the Python client implements them
    /// from the documents: from the same parameters, images, labels, hyperparameters and seed, its trained parameters
    /// and mean loss equal the Swift `Trainer`'s up to float32 rounding. A different layer order, matrix orientation,
    /// pooling tie rule, shuffle, momentum or weight decay moves them apart by far more. mlp:64 trains its first layer
    /// through the row kernel (`DenseKernel`) where the CPU has one.
    @Test(arguments: ["logreg", "mlp:16", "mlp:64", "cnn"])
    func pythonTrainsEveryModelLikeTheSwiftClient(_ model: String) throws {
        let dir = try TemporaryDirectory("pytrain")
        defer { dir.remove() }
        let data = SyntheticDataset.generate(count: 37, seed: 5)  // 37: the last batch of each epoch is partial
        var swift = Model(spec: try ModelSpec(parsing: model), seed: 3)
        let initial = swift.parameters
        let report = Trainer.train(&swift, on: data, epochs: 2, batchSize: 16,
                                   optimizer: SGD(learningRate: 0.05, momentum: 0.5, weightDecay: 0.001), seed: 77)
        func write<T>(_ values: [T], _ name: String) throws {
            try values.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: dir.file(name)))
        }
        try write(initial, "params.f32")
        try write(data.features, "images.f32")
        try write(data.labels.map { UInt8($0) }, "labels.u8")
        let output = try Tool.python([Self.script, "train", model, dir.file("params.f32"), dir.file("images.f32"), dir.file("labels.u8"),
                                      dir.file("out.f32"), "--epochs", "2", "--batch-size", "16", "--learning-rate", "0.05",
                                      "--momentum", "0.5", "--weight-decay", "0.001", "--seed", "77"])
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(result["parameters"] as? Int == initial.count, "\(model): the documented parameter count")
        let trained = try Data(contentsOf: URL(fileURLWithPath: dir.file("out.f32"))).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        try #require(trained.count == initial.count)
        let moved = zip(swift.parameters, initial).map { abs($0 - $1) }.max() ?? 0
        let difference = zip(swift.parameters, trained).map { abs($0 - $1) }.max() ?? .infinity
        #expect(moved > 1e-3, "\(model): training moved the parameters (by \(moved))")
        #expect(difference <= 1e-3 * moved, "\(model): Python and Swift differ by \(difference) after training moved them by \(moved)")
        let loss = try #require(result["loss"] as? Double)
        #expect(abs(loss - report.meanLoss) <= 1e-4 * report.meanLoss, "\(model): mean loss \(loss) (Python) vs \(report.meanLoss) (Swift)")
    }

    @Test(.timeLimit(.minutes(4))) func aPythonClientIsAcceptedNextToSwiftClientsOverTLSAndTrainsOnItsShard() throws {
        let fixture = try TLSClusterFixture("pyclient", clients: 3)
        let federation = ["--clients", "3", "--rounds", "2", "--dataset", "fashion-mnist", "--train-limit", "1500",
                          "--validation-size", "200", "--test-size", "300", "--model", "mlp:16", "--partition", "dirichlet:0.5",
                          "--round-deadline", "120", "--evaluators", "marginal,shapley-exact"]
        var processes: [Process] = []
        defer { ProcessHarness.stop(processes) }
        let coordinator = try fixture.startCoordinator(federation: federation)
        processes.append(coordinator)
        processes.append(try fixture.startClient(0))
        processes.append(try fixture.startClient(1))
        let python = try startPython([Self.script, "client", "--id", "client-2", "--coordinator", fixture.url,
                                      "--pki-dir", fixture.pki], log: fixture.dir + "/client-2.log")
        processes.append(python)

        let status = ProcessHarness.wait(coordinator, timeout: 200)
        let pythonLog = ProcessHarness.read(fixture.dir + "/client-2.log")
        #expect(status == 0, "coordinator: \(fixture.coordinatorStderr)\n\(fixture.coordinatorLog)")
        #expect(ProcessHarness.wait(python, timeout: 30) == 0, "the Python client exits 0 on the finish message: \(pythonLog)")

        let spec = FederationSpec(dataset: "fashion-mnist", syntheticCount: 6000, trainLimit: 1500, validationSize: 200,
                                  partition: "dirichlet:0.5", partitionSeed: 1, clients: 3, model: "mlp:16")
        let shard = try DataSplits(spec: spec, dataDirectory: FashionMNISTDirectory.path).partitions[2]
        let rounds = fixture.rounds
        #expect(rounds.count == 2)
        for r in rounds {
            #expect(r["participants"] as? [String] == ["client-0", "client-1", "client-2"], "round \(r["round"] ?? "?"): \(r)")
            #expect((r["rejected"] as? [Any])?.isEmpty == true, "nothing refused: \(r["rejected"] ?? "")")
            #expect((r["sample_counts"] as? [Int])?.last == shard.count, "client-2 trains on its whole shard once per epoch")
        }
        #expect(pythonLog.contains("indices_sha256=\(DataSplits.digest(of: shard))"), "the Python client loaded exactly its shard")
        // It really trained: the mean loss of its local epoch falls from round 1 to round 2.
        let events = pythonLog.split(separator: "\n").compactMap { UpdateSentEvent(logfmtLine: $0) }
        try #require(events.map(\.round) == [1, 2], "two updates sent: \(pythonLog)")
        #expect(events.allSatisfy { Int($0.samples) == shard.count })
        let losses = events.map(\.trainLoss)
        #expect(losses[1] < losses[0] && losses[0] < 2.5, "train losses \(losses)")
        let report = try AuditVerifier.verify(directory: fixture.out, caFile: fixture.pki + "/ca.crt")
        #expect(report.entries == 6, "the ledger holds all six submissions, the Python client's included")
    }
}

/// Debian's dataset-fashion-mnist location (deploy/install-deps.sh installs it).
enum FashionMNISTDirectory {
    static let path = "/usr/share/datasets/fashion-mnist"
}

/// Starts `python3 arguments…` with standard error (the client's logfmt lines) in `log`.
func startPython(_ arguments: [String], log: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle(forWritingAtPath: log)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
}
