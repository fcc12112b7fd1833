import Foundation

/// Writes float32 vectors in the safetensors format (8-byte little-endian header length, JSON header, raw data),
/// which Python reads with `safetensors.numpy.load_file` or a few lines of NumPy.
public enum SafeTensors {
    /// Writes the named vectors with string metadata to `path`.
    public static func write(_ tensors: [(name: String, values: [Float])], metadata: [String: String], to path: String) throws {
        do { try encode(tensors, metadata: metadata).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw FederationError.cannotWrite(path: path)
        }
    }

    /// The bytes of a safetensors file holding the named vectors and string metadata.
    public static func encode(_ tensors: [(name: String, values: [Float])], metadata: [String: String]) throws -> Data {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for t in tensors {
            header[t.name] = ["dtype": "F32", "shape": [t.values.count], "data_offsets": [offset, offset + 4 * t.values.count]]
            offset += 4 * t.values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        out.reserveCapacity(8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for t in tensors {
            #if _endian(little)
            t.values.withUnsafeBufferPointer { out.append($0) }   // already little-endian float32 bytes
            #else
            t.values.map { $0.bitPattern.littleEndian }.withUnsafeBufferPointer { out.append($0) }
            #endif
        }
        return out
    }

    /// Reads back the tensors and metadata of a file `write` produced (used by tests and `fedattr report`).
    public static func read(_ path: String) throws -> (tensors: [String: [Float]], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 8 else {
            throw FederationError.cannotRead(path: path, reason: "missing or shorter than 8 bytes")
        }
        let bytes = [UInt8](data)
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        guard n >= 2, 8 + n <= bytes.count,
              let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any] else {
            throw FederationError.cannotRead(path: path, reason: "bad safetensors header")
        }
        var tensors: [String: [Float]] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" { metadata = value as? [String: String] ?? [:]; continue }
            guard let info = value as? [String: Any], info["dtype"] as? String == "F32",
                  let offsets = info["data_offsets"] as? [Int], offsets.count == 2,
                  offsets[0] <= offsets[1], 8 + n + offsets[1] <= bytes.count, (offsets[1] - offsets[0]) % 4 == 0 else {
                throw FederationError.cannotRead(path: path, reason: "bad entry \(name)")
            }
            let start = 8 + n + offsets[0]
            let count = (offsets[1] - offsets[0]) / 4
            var bits = [UInt32](repeating: 0, count: count)
            bits.withUnsafeMutableBytes { $0.copyBytes(from: bytes[start..<(start + 4 * count)]) }
            tensors[name] = bits.map { Float(bitPattern: UInt32(littleEndian: $0)) }
        }
        return (tensors, metadata)
    }
}
