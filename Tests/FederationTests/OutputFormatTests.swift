import Foundation
import Testing
@testable import Federation

@Suite struct OutputFormatTests {
    @Test func safetensorsRoundTripWithAlignedHeader() throws {
        let path = NSTemporaryDirectory() + "fedattr-\(UUID().uuidString).safetensors"
        let values: [Float] = [1.5, -2, .leastNonzeroMagnitude, 3e38]
        try SafeTensors.write([("update", values), ("bias", [7])], metadata: ["round": "3", "client": "client-1"], to: path)
        let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        #expect(n % 8 == 0)
        #expect(bytes.count == 8 + n + 4 * 5)
        let (tensors, metadata) = try SafeTensors.read(path)
        #expect(tensors["update"] == values)
        #expect(tensors["bias"] == [7])
        #expect(metadata == ["round": "3", "client": "client-1"])
    }

    @Test func safetensorsReaderRefusesTruncatedFiles() throws {
        let path = NSTemporaryDirectory() + "fedattr-\(UUID().uuidString).safetensors"
        try SafeTensors.write([("update", [1, 2, 3])], metadata: [:], to: path)
        let bytes = FileManager.default.contents(atPath: path)!
        try bytes.prefix(bytes.count - 4).write(to: URL(fileURLWithPath: path))
        #expect(throws: FederationError.self) { try SafeTensors.read(path) }
    }

    @Test func logfmtQuotesOnlyWhatNeedsIt() {
        #expect(LogfmtLogHandler.quote("client-1") == "client-1")
        #expect(LogfmtLogHandler.quote("two words") == "\"two words\"")
        #expect(LogfmtLogHandler.quote("a=b") == "\"a=b\"")
        #expect(LogfmtLogHandler.quote("say \"hi\"\n") == "\"say \\\"hi\\\"\\n\"")
        #expect(LogfmtLogHandler.quote("") == "\"\"")
    }

    @Test func federationSpecRoundTripsAndRefusesGarbage() throws {
        let spec = FederationSpec(dataset: "synthetic", syntheticCount: 500, trainLimit: 0, validationSize: 100,
                                  partition: "dirichlet:0.5", partitionSeed: 3, clients: 4, model: "mlp:16")
        #expect(try FederationSpec.parse(json: spec.json()) == spec)
        #expect(throws: FederationError.self) { try FederationSpec.parse(json: "{}") }
        var bad = spec
        bad.model = "transformer"
        #expect(throws: FederationError.self) { try FederationSpec.parse(json: bad.json()) }
        bad = spec
        bad.dataset = "imagenet"
        #expect(throws: FederationError.self) { try FederationSpec.parse(json: bad.json()) }
    }

    @Test func pipeTableBindsOneIdentityPerPipeAndOnePipePerIdentity() {
        let table = PipeTable()
        table.handle(.added, 1)
        table.handle(.added, 2)
        #expect(table.bind(1, to: "client-0") == nil)
        #expect(table.bind(1, to: "client-0") == nil)
        #expect(table.bind(1, to: "client-1") == .pipeBoundToOtherIdentity(pipe: 1, bound: "client-0", claimed: "client-1"))
        #expect(table.bind(2, to: "client-0") == .identityOnOtherPipe(client: "client-0", pipe: 1))
        table.handle(.removed, 1)
        #expect(table.bind(2, to: "client-0") == nil, "after its pipe closed, a client may come back on a new one")
        #expect(table.boundIdentities == ["client-0"])
    }
}
