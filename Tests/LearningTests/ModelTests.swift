import Foundation
import Testing
@testable import Learning

@Suite struct ModelTests {
    @Test func specParsing() throws {
        #expect(try ModelSpec(parsing: "logreg") == .logreg)
        #expect(try ModelSpec(parsing: "mlp") == .mlp(hidden: [128]))
        #expect(try ModelSpec(parsing: "mlp:256,128") == .mlp(hidden: [256, 128]))
        #expect(try ModelSpec(parsing: "cnn") == .cnn)
        #expect(ModelSpec.mlp(hidden: [256, 128]).description == "mlp:256,128")
        #expect(throws: ModelSpecError.unknownModel(text: "resnet")) { try ModelSpec(parsing: "resnet") }
        #expect(throws: ModelSpecError.badHiddenSizes(text: "mlp:")) { try ModelSpec(parsing: "mlp:") }
        #expect(throws: ModelSpecError.badHiddenSizes(text: "mlp:12,x")) { try ModelSpec(parsing: "mlp:12,x") }
        #expect(throws: ModelSpecError.badHiddenSizes(text: "mlp:0")) { try ModelSpec(parsing: "mlp:0") }
        #expect(throws: ModelSpecError.unexpectedParameter(text: "cnn:3")) { try ModelSpec(parsing: "cnn:3") }
        let json = try JSONEncoder().encode([ModelSpec.mlp(hidden: [64, 32]), .cnn])
        #expect(String(decoding: json, as: UTF8.self) == #"["mlp:64,32","cnn"]"#)
        #expect(try JSONDecoder().decode([ModelSpec].self, from: json) == [.mlp(hidden: [64, 32]), .cnn])
    }

    /// A model the wire cannot carry (more than 50,000,000 parameters on 28×28 images in 10 classes) is refused when
    /// its spec is parsed, saying how many it has; a hidden size above 65536 is refused without counting.
    @Test func modelsTheWireCannotCarryAreRefusedWhenParsed() throws {
        #expect(throws: ModelSpecError.hiddenSizeTooLarge(text: "mlp:100000000", size: 100_000_000)) { try ModelSpec(parsing: "mlp:100000000") }
        #expect(throws: ModelSpecError.hiddenSizeTooLarge(text: "mlp:8,9223372036854775807", size: Int.max)) {
            try ModelSpec(parsing: "mlp:8,9223372036854775807")
        }
        let wide = ModelSpecError.hiddenSizeTooLarge(text: "mlp:100000000", size: 100_000_000).description
        #expect(wide.contains("hidden size 100000000 is above 65536") && wide.contains("50000000 parameters one tensor of the wire protocol carries"))
        #expect(throws: ModelSpecError.tooManyParameters(text: "mlp:65536", count: 784 * 65536 + 65536 + 655_360 + 10)) {
            try ModelSpec(parsing: "mlp:65536")
        }
        #expect(throws: ModelSpecError.tooManyParameters(text: "mlp:30000,30000", count: 923_880_010)) { try ModelSpec(parsing: "mlp:30000,30000") }
        let many = ModelSpecError.tooManyParameters(text: "mlp:30000,30000", count: 923_880_010).description
        #expect(many.contains("'mlp:30000,30000' has 923880010 parameters") && many.contains("at most 50000000"))
        #expect(ModelSpecError.tooManyParameters(text: "x", count: nil).description.contains("has too many parameters"))
        #expect(throws: (any Error).self) { try JSONDecoder().decode([ModelSpec].self, from: Data(#"["mlp:65536"]"#.utf8)) }
        // The largest single hidden layer under the bound is accepted, and the count matches the model's.
        let largest = try ModelSpec(parsing: "mlp:63000,1")
        #expect(largest.parameterCount() == 784 * 63000 + 63000 + 63000 + 1 + 10 + 10)
        #expect(try #require(largest.parameterCount()) <= ModelSpec.maxParameters)
        for spec in [ModelSpec.logreg, .cnn, .mlp(hidden: [32, 16])] {
            #expect(spec.parameterCount() == Model(spec: spec, seed: 1).parameterCount)
            #expect(spec.parameterCount(inputShape: [1, 16, 16], classCount: 3)
                    == Model(spec: spec, inputShape: [1, 16, 16], classCount: 3, seed: 1).parameterCount)
        }
        #expect(ModelSpec.mlp(hidden: [Int.max / 2, 4]).parameterCount() == nil, "an overflow is nil, not a crash")
    }

    /// A model built from given parameters is the seeded model with those parameters: same layout, same outputs.
    @Test(arguments: [ModelSpec.logreg, .mlp(hidden: [32, 16]), .cnn])
    func modelFromParametersEqualsTheSeededModelHoldingThem(_ spec: ModelSpec) {
        let seeded = Model(spec: spec, seed: 9)
        let given = Model(spec: spec, parameters: seeded.parameters.map { $0 * 0.5 })
        var reference = seeded
        reference.parameters = seeded.parameters.map { $0 * 0.5 }
        let data = SyntheticDataset.generate(count: 30, seed: 2)
        #expect(given.parameterCount == seeded.parameterCount)
        #expect(given.parameters == reference.parameters)
        #expect(given.outputBiasRange == reference.outputBiasRange)
        let a = given.evaluate(data), b = reference.evaluate(data)
        #expect(a.loss == b.loss && a.accuracy == b.accuracy)
    }

    @Test func parameterCounts() {
        #expect(Model(spec: .logreg, seed: 1).parameterCount == 784 * 10 + 10)
        #expect(Model(spec: .mlp(hidden: [128]), seed: 1).parameterCount == 784 * 128 + 128 + 128 * 10 + 10)
        #expect(Model(spec: .mlp(hidden: [256, 128]), seed: 1).parameterCount == 784 * 256 + 256 + 256 * 128 + 128 + 1290)
        #expect(Model(spec: .cnn, seed: 1).parameterCount == (25 * 8 + 8) + (200 * 16 + 16) + (256 * 10 + 10))
    }

    @Test func initialisationIsSeededAndBounded() {
        let a = Model(spec: .mlp(hidden: [32]), seed: 5), b = Model(spec: .mlp(hidden: [32]), seed: 5)
        let c = Model(spec: .mlp(hidden: [32]), seed: 6)
        #expect(a.parameters == b.parameters)
        #expect(a.parameters != c.parameters)
        let limit = (6 / Float(784)).squareRoot()          // He-uniform bound of the first layer
        #expect(a.parameters[0..<(784 * 32)].allSatisfy { abs($0) <= limit })
        #expect(a.parameters[(784 * 32)..<(784 * 32 + 32)].allSatisfy { $0 == 0 })   // biases start at zero
    }

    /// All-zero parameters give uniform logits: loss ln 10 and the first class predicted everywhere.
    @Test func zeroModelEvaluation() {
        let data = SyntheticDataset.generate(count: 200, seed: 3)
        var model = Model(spec: .mlp(hidden: [16]), seed: 1)
        model.parameters = [Float](repeating: 0, count: model.parameterCount)
        let evaluation = model.evaluate(data, batchSize: 64)
        #expect(evaluation.count == 200)
        #expect(abs(evaluation.loss - _log(10)) < 1e-6)
        #expect(evaluation.accuracy == Double(data.labelHistogram()[0]) / 200)
    }

    @Test func parallelEvaluationIsBitIdenticalToSerial() {
        let data = SyntheticDataset.generate(count: 530, seed: 12)
        var model = Model(spec: .mlp(hidden: [24]), seed: 2)
        _ = Trainer.train(&model, on: data.subset(Array(0..<200)), epochs: 1, batchSize: 20, optimizer: SGD(learningRate: 0.05), seed: 1)
        // 530 rows in batches of 64: 8 full batches and a short one, split over the workers.
        let serial = model.evaluate(data, batchSize: 64), parallel = model.evaluate(data, batchSize: 64, parallel: true)
        #expect(parallel == serial)
        #expect(serial.count == 530 && serial.accuracy > 0.1 && serial.loss > 0)
    }

    @Test func trainingIsBitReproducible() {
        let data = SyntheticDataset.generate(count: 600, seed: 8)
        func run(_ seed: UInt64) -> ([Float], Double) {
            var model = Model(spec: .mlp(hidden: [32]), seed: 4)
            let report = Trainer.train(&model, on: data, epochs: 2, batchSize: 25, optimizer: SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4), seed: seed)
            return (model.parameters, report.meanLoss)
        }
        let first = run(10), second = run(10), other = run(11)
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
        #expect(first.0 != other.0)
    }

    @Test func mlpLearnsSyntheticData() {
        let train = SyntheticDataset.generate(count: 3000, seed: 1)
        let test = SyntheticDataset.generate(count: 1000, seed: 2)
        var model = Model(spec: .mlp(hidden: [64]), seed: 3)
        let before = model.evaluate(test)
        let report = Trainer.train(&model, on: train, epochs: 2, batchSize: 32, optimizer: SGD(learningRate: 0.05, momentum: 0.9), seed: 4)
        let after = model.evaluate(test)
        #expect(report.samples == 6000)
        #expect(after.accuracy > 0.9)
        #expect(after.loss < before.loss)
    }

    @Test func cnnLearnsSyntheticData() {
        let train = SyntheticDataset.generate(count: 1000, seed: 5)
        let test = SyntheticDataset.generate(count: 300, seed: 6)
        var model = Model(spec: .cnn, seed: 7)
        _ = Trainer.train(&model, on: train, epochs: 2, batchSize: 32, optimizer: SGD(learningRate: 0.05, momentum: 0.9), seed: 8)
        #expect(model.evaluate(test).accuracy > 0.8)
    }

    /// Real data: an MLP trained for two epochs on 20k Fashion-MNIST images reaches ≥ 80% on the 10k test set (83.4% here).
    @Test func mlpLearnsFashionMNIST() throws {
        let train = try FashionMNIST.load(.train, limit: 20_000)
        let test = try FashionMNIST.load(.test)
        #expect(train.count == 20_000 && test.count == 10_000)
        var model = Model(spec: .mlp(hidden: [128]), seed: 1)
        let report = Trainer.train(&model, on: train, epochs: 2, batchSize: 32, optimizer: SGD(learningRate: 0.02, momentum: 0.9), seed: 2)
        let evaluation = model.evaluate(test)
        #expect(evaluation.accuracy >= 0.8, "accuracy \(evaluation.accuracy), train loss \(report.meanLoss)")
    }
}
