import Foundation
import TestSupport
import Testing
@testable import Wire

/// Cross-checks the Swift codec against tools/wire_reference.py, which was written from docs/PROTOCOL.md alone.
@Suite(.enabled(if: PythonReference.isAvailable, "python3 not found"))
struct PythonReferenceTests {
    /// Messages covering every type and both tensor encodings, including a u64 round near the top of its range.
    static func cases() -> [(message: Message, encoding: TensorEncoding)] {
        var update = Fixtures.update(parameters: 33)
        update.round = .max - 5
        update.update[4] = .greatestFiniteMagnitude
        var f16 = Fixtures.update(parameters: 33)
        f16.update[4] = 65_519                        // rounds down to 65504
        f16.update[5] = 0x1p-25                       // tie → +0
        var task = Fixtures.task(parameters: 25)
        task.hyperparameters.seed = .max
        return [
            (.probe(Fixtures.probe), .float32),
            (.register(Fixtures.register), .float32),
            (.task(task), .float32),
            (.task(Fixtures.task(parameters: 25)), .float16),
            (.update(update), .float32),
            (.update(f16), .float16),
            (.update(GoldenBytesTests.update), .float16),
            (.finish(Fixtures.finish), .float32),
        ]
    }

    @Test func pythonDecodesWhatSwiftEncodes() throws {
        let dir = try PythonReference.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = Self.cases()
        var paths: [String] = []
        for (i, c) in cases.enumerated() {
            let url = dir.appendingPathComponent("\(i).bin")
            try Data(WireCodec.encode(c.message, encoding: c.encoding)).write(to: url)
            paths.append(url.path)
        }
        let output = try PythonReference.run(["decode"] + paths)
        let decoded = try JSONDecoder.snake.decode([JSONMessage].self, from: output)
        try #require(decoded.count == cases.count)
        for ((message, encoding), python) in zip(cases, decoded) {
            #expect(python.error == nil)
            let expected = JSONMessage(quantizedFrom: message, encoding: encoding)
            #expect(python.withoutAnnotations == expected, "\(message.type) \(encoding)")
            switch message {
            case .register(let m):
                #expect(python.signingBytes == hex(m.signingBytes))
            case .task(let m):
                #expect(python.tensorBytes == hex(WireCodec.tensorBytes(WireCodec.quantized(m.parameters, as: encoding))))
                #expect(python.signingBytes == hex(LedgerSeal.signingBytes(round: m.ledgerRound, head: m.ledgerHead)))
            case .update(let m):
                let values = WireCodec.quantized(m.update, as: encoding)
                #expect(python.tensorBytes == hex(WireCodec.tensorBytes(values)))
                let digest = try #require(python.updateDigest.flatMap(unhex))
                #expect(python.signingBytes == hex(m.signingBytes(updateDigest: digest)))
            case .probe, .finish:
                break
            }
        }
    }

    @Test func swiftDecodesWhatPythonEncodes() throws {
        let dir = try PythonReference.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = Self.cases()
        let input = dir.appendingPathComponent("in.json")
        try JSONEncoder.snake.encode(cases.map { JSONMessage(from: $0.message, encoding: $0.encoding) }).write(to: input)
        _ = try PythonReference.run(["encode", input.path, dir.path])
        for (i, c) in cases.enumerated() {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("\(i).bin")))
            #expect(bytes == WireCodec.encode(c.message, encoding: c.encoding), "\(c.message.type) \(c.encoding)")
            let message = try WireCodec.decode(bytes)
            #expect(JSONMessage(from: message, encoding: c.encoding) == JSONMessage(quantizedFrom: c.message, encoding: c.encoding))
        }
    }

    @Test func pythonRejectsCorruptionAndPassesItsSelfTest() throws {
        let dir = try PythonReference.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes = WireCodec.encode(.update(Fixtures.update()))
        bytes[40] ^= 0x04
        let url = dir.appendingPathComponent("bad.bin")
        try Data(bytes).write(to: url)
        let decoded = try JSONDecoder.snake.decode([JSONMessage].self, from: try PythonReference.run(["decode", url.path]))
        #expect(decoded.first?.error?.hasPrefix("CRC-32 mismatch") == true)
        #expect(String(decoding: try PythonReference.run(["selftest"]), as: UTF8.self) == "selftest ok\n")
    }
}

/// The JSON form of a message used by tools/wire_reference.py.
struct JSONMessage: Codable, Equatable {
    struct Hyper: Codable, Equatable {
        var epochs: UInt32, batchSize: UInt32, learningRate: Double, momentum: Double, weightDecay: Double, seed: UInt64
    }
    var type: String?
    var round: UInt64?
    var nonce: String?
    var encoding: String?
    var spec: String?
    var clientId: String?
    var certificateDer: String?
    var signature: String?
    var deadlineMillis: UInt32?
    var hyperparameters: Hyper?
    var ledgerRound: UInt64?
    var ledgerHead: String?
    var ledgerSeal: String?
    var parameters: [Double]?
    var sampleCount: UInt32?
    var trainLoss: Double?
    var baseModelDigest: String?
    var update: [Double]?
    var reason: String?
    // Added by the Python decoder.
    var signingBytes: String?
    var updateDigest: String?
    var tensorBytes: String?
    var error: String?

    var withoutAnnotations: JSONMessage {
        var m = self
        m.signingBytes = nil
        m.updateDigest = nil
        m.tensorBytes = nil
        return m
    }

    init(quantizedFrom message: Message, encoding: TensorEncoding) {
        var m = message
        switch m {
        case .task(var t): t.parameters = WireCodec.quantized(t.parameters, as: encoding); m = .task(t)
        case .update(var u): u.update = WireCodec.quantized(u.update, as: encoding); m = .update(u)
        default: break
        }
        self.init(from: m, encoding: encoding)
    }

    init(from message: Message, encoding: TensorEncoding) {
        type = message.type.description
        round = message.round
        switch message {
        case .probe(let m):
            nonce = hex(m.nonce)
            spec = m.spec
        case .register(let m):
            nonce = hex(m.nonce)
            clientId = m.clientID
            certificateDer = hex(m.certificateDER)
            signature = hex(m.signature)
        case .task(let m):
            nonce = hex(m.nonce)
            self.encoding = encoding.description
            deadlineMillis = m.deadlineMillis
            let h = m.hyperparameters
            hyperparameters = Hyper(epochs: h.epochs, batchSize: h.batchSize, learningRate: Double(h.learningRate),
                                    momentum: Double(h.momentum), weightDecay: Double(h.weightDecay), seed: h.seed)
            spec = m.spec
            ledgerRound = m.ledgerRound
            ledgerHead = hex(m.ledgerHead)
            ledgerSeal = hex(m.ledgerSeal)
            parameters = m.parameters.map(Double.init)
        case .update(let m):
            nonce = hex(m.nonce)
            self.encoding = encoding.description
            clientId = m.clientID
            certificateDer = hex(m.certificateDER)
            sampleCount = m.sampleCount
            trainLoss = Double(m.trainLoss)
            baseModelDigest = hex(m.baseModelDigest)
            update = m.update.map(Double.init)
            signature = hex(m.signature)
        case .finish(let m):
            nonce = hex(m.nonce)
            reason = m.reason
            ledgerRound = m.ledgerRound
            ledgerHead = hex(m.ledgerHead)
            ledgerSeal = hex(m.ledgerSeal)
        }
    }
}

enum PythonReference {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/wire_reference.py")

    static let isAvailable: Bool = (try? Tool.python(["-c", "import struct, zlib, hashlib, json"])) != nil

    /// `python3 tools/wire_reference.py arguments…`, its standard output; throws on a nonzero exit.
    static func run(_ arguments: [String]) throws -> Data { Data(try Tool.python([script.path] + arguments).utf8) }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wire-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var s = ""
    for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
    return s
}

func unhex(_ s: String) -> [UInt8]? {
    let chars = Array(s.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    for i in stride(from: 0, to: chars.count, by: 2) {
        guard let v = UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
        out.append(v)
    }
    return out
}

extension JSONDecoder {
    static var snake: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}

extension JSONEncoder {
    static var snake: JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        return e
    }
}
