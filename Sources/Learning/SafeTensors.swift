import Foundation

/// Float32 vectors in the safetensors format (8-byte little-endian header length, JSON header padded to 8 bytes, raw
/// little-endian data), which Python reads with `safetensors.numpy.load_file` or a few lines of NumPy. Run
/// checkpoints, archived updates and generator files all go through here.
public enum SafeTensors {
    /// The bytes of a file holding the named vectors (in this order) and string metadata.
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
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
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

    /// The tensors and metadata of `bytes`; refuses a short file, a bad header, a dtype other than F32, data
    /// offsets outside the file, not whole floats or overlapping another tensor's, and a shape that does not hold
    /// exactly the tensor's floats.
    public static func decode(_ bytes: [UInt8]) throws(SafeTensorsError) -> (tensors: [String: [Float]], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw SafeTensorsError("shorter than 8 bytes") }
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        guard n >= 2, n <= bytes.count - 8,
              let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any] else {
            throw SafeTensorsError("bad safetensors header")
        }
        var tensors: [String: [Float]] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(range: Range<Int>, name: String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let strings = value as? [String: String] else { throw SafeTensorsError("__metadata__ is not an object of strings") }
                metadata = strings
                continue
            }
            guard let info = value as? [String: Any], info["dtype"] as? String == "F32",
                  let offsets = info["data_offsets"] as? [Int], offsets.count == 2, offsets[0] >= 0,
                  offsets[0] <= offsets[1], offsets[1] <= bytes.count - 8 - n, (offsets[1] - offsets[0]) % 4 == 0 else {
                throw SafeTensorsError("bad entry '\(name)'")
            }
            let count = (offsets[1] - offsets[0]) / 4
            guard let shape = info["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }),
                  case let (elements, overflow) = shape.reduce((1, false), { product, d in
                      let (p, o) = product.0.multipliedReportingOverflow(by: d)
                      return (p, product.1 || o)
                  }), !overflow, elements == count else {
                throw SafeTensorsError("entry '\(name)': shape \((info["shape"] as? [Int]).map { "\($0)" } ?? "missing or not a list of integers") does not hold its \(count) floats")
            }
            let range = offsets[0]..<offsets[1]
            if let other = ranges.first(where: { $0.range.overlaps(range) }) {
                throw SafeTensorsError("entries '\(other.name)' and '\(name)' overlap in the data")
            }
            ranges.append((range, name))
            let start = 8 + n + offsets[0]
            var bits = [UInt32](repeating: 0, count: count)
            bits.withUnsafeMutableBytes { $0.copyBytes(from: bytes[start..<(start + 4 * count)]) }
            tensors[name] = bits.map { Float(bitPattern: UInt32(littleEndian: $0)) }
        }
        return (tensors, metadata)
    }

    /// Writes the named vectors with string metadata to `path` (atomically: a reader sees the old file or the new).
    public static func write(_ tensors: [(name: String, values: [Float])], metadata: [String: String], to path: String) throws {
        try encode(tensors, metadata: metadata).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads back a file `write` (or any writer of F32 safetensors) produced; errors do not repeat the path, which
    /// callers name.
    public static func read(_ path: String) throws -> (tensors: [String: [Float]], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw SafeTensorsError("missing or not readable") }
        return try decode([UInt8](data))
    }
}

/// Why bytes were refused as a safetensors file.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
