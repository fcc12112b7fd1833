import Foundation
import Learning
import Testing

/// The safetensors codec: byte layout, round trip, and what each malformed file gets.
struct SafeTensorsTests {
    @Test func roundTripWithAlignedHeaderAndLittleEndianData() throws {
        let path = NSTemporaryDirectory() + "fedattr-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let values: [Float] = [1.5, -2, .leastNonzeroMagnitude, 3e38]
        try SafeTensors.write([("update", values), ("bias", [7])], metadata: ["round": "3", "client": "client-1"], to: path)
        let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        #expect(n % 8 == 0)
        #expect(bytes.count == 8 + n + 4 * 5)
        // The data are little-endian float32 in tensor order: 1.5 = 0x3FC00000, −2 = 0xC0000000, …, then 7 = 0x40E00000.
        #expect(Array(bytes[(8 + n)..<(8 + n + 8)]) == [0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0])
        #expect(Array(bytes.suffix(4)) == [0x00, 0x00, 0xE0, 0x40])
        let (tensors, metadata) = try SafeTensors.read(path)
        #expect(tensors["update"] == values)
        #expect(tensors["bias"] == [7])
        #expect(metadata == ["round": "3", "client": "client-1"])
    }

    /// A valid file's bytes with the JSON header replaced (length fixed up, padded to 8).
    static func withHeader(_ json: String, data: [UInt8] = [0, 0, 128, 63]) -> [UInt8] {
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        return withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + data
    }

    @Test func malformedFilesAreRefusedWithTheReason() throws {
        let good = [UInt8](try SafeTensors.encode([("w", [1, 2, 3])], metadata: [:]))
        #expect(try SafeTensors.decode(good).tensors["w"] == [1, 2, 3])
        let cases: [([UInt8], String)] = [
            (Array(good.prefix(5)), "shorter than 8 bytes"),
            (Array(good.prefix(good.count - 4)), "bad entry 'w'"),                          // data cut short
            ([255, 255, 255, 255, 0, 0, 0, 0] + good.dropFirst(8), "bad safetensors header"),   // header length past the end
            (Self.withHeader("not json"), "bad safetensors header"),
            (Self.withHeader(#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#), "bad entry 'w'"),
            (Self.withHeader(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,3]}}"#), "bad entry 'w'"),   // not whole floats
            (Self.withHeader(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#), "bad entry 'w'"),
            (Self.withHeader(#"{"__metadata__":{"round":3}}"#), "__metadata__ is not an object of strings"),
            (Self.withHeader(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#), "entry 'w': shape [2] does not hold its 1 floats"),
            (Self.withHeader(#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#), "entry 'w': shape [-1] does not hold its 1 floats"),
            (Self.withHeader(#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#), "entry 'w': shape missing or not a list of integers does not hold its 1 floats"),
            (Self.withHeader(#"{"w":{"dtype":"F32","shape":"x","data_offsets":[0,4]}}"#), "entry 'w': shape missing or not a list of integers does not hold its 1 floats"),
            (Self.withHeader(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#),
             "entry 'w': shape [4294967296, 4294967296] does not hold its 1 floats"),   // the product overflows
        ]
        for (bytes, reason) in cases {
            #expect(throws: SafeTensorsError(reason), "\(reason)") { try SafeTensors.decode(bytes) }
        }
        #expect(throws: SafeTensorsError.self, "two entries over the same floats") {
            try SafeTensors.decode(Self.withHeader(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#))
        }
        #expect(try SafeTensors.decode(Self.withHeader(#"{"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#)).tensors
                == ["a": [1], "b": []], "a 1×1 tensor and an empty one")
        #expect(throws: SafeTensorsError("missing or not readable")) { try SafeTensors.read("/nonexistent/fedattr.safetensors") }
    }
}
