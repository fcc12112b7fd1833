import Foundation
import Learning

/// The generator on disk: a safetensors file (Python: `safetensors.numpy.load_file`) holding the VAE's flat
/// parameter vector as tensor `parameters` (layout in `VAE`'s documentation) and its sizes as metadata.
/// Federation's SafeTensors writes run outputs; the Adversary target sits below Federation, so it reads its one
/// tensor here.
public enum GeneratorFile {
    /// Writes `vae` with its sizes and any extra metadata (source, images, loss).
    public static func write(_ vae: VAE, metadata extra: [String: String] = [:], to path: String) throws {
        var metadata = extra
        metadata["format"] = "fedattr-cvae-1"
        metadata["pixels"] = "\(vae.pixels)"
        metadata["classes"] = "\(vae.classes)"
        metadata["latent"] = "\(vae.latent)"
        metadata["hidden"] = "\(vae.hidden)"
        let bytes = 4 * vae.parameters.count
        let header: [String: Any] = ["__metadata__": metadata,
                                     "parameters": ["dtype": "F32", "shape": [vae.parameters.count], "data_offsets": [0, bytes]]]
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + bytes)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        vae.parameters.map { $0.bitPattern.littleEndian }.withUnsafeBufferPointer { out.append($0) }
        do { try out.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw GeneratorFileError(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads a generator `write` produced; refuses a missing file, a bad header, wrong sizes or non-finite values.
    public static func read(_ path: String) throws -> VAE {
        func fail(_ reason: String) -> GeneratorFileError { GeneratorFileError(path: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("no such file") }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw fail("shorter than 8 bytes") }
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        guard n >= 2, n <= bytes.count - 8,
              let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any],
              let metadata = header["__metadata__"] as? [String: String] else { throw fail("bad safetensors header") }
        guard metadata["format"] == "fedattr-cvae-1" else { throw fail("not a fedattr generator (format \(metadata["format"] ?? "missing"))") }
        let sizes = ["pixels", "classes", "latent", "hidden"].map { metadata[$0].flatMap(Int.init) ?? 0 }
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 20 }) else { throw fail("bad sizes in metadata") }
        guard let entry = header["parameters"] as? [String: Any], entry["dtype"] as? String == "F32",
              let offsets = entry["data_offsets"] as? [Int], offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1],
              (offsets[1] - offsets[0]) % 4 == 0, 8 + n + offsets[1] <= bytes.count else { throw fail("bad 'parameters' entry") }
        let start = 8 + n + offsets[0]
        let count = (offsets[1] - offsets[0]) / 4
        var bits = [UInt32](repeating: 0, count: count)
        bits.withUnsafeMutableBytes { $0.copyBytes(from: bytes[start..<(start + 4 * count)]) }
        let values = bits.map { Float(bitPattern: UInt32(littleEndian: $0)) }
        guard let vae = VAE(pixels: sizes[0], classes: sizes[1], latent: sizes[2], hidden: sizes[3], parameters: values) else {
            throw fail("\(values.count) parameters do not fit the sizes \(sizes), or some are not finite")
        }
        return vae
    }
}

/// Why a generator file was refused.
public struct GeneratorFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String
    public var description: String { "generator \(path): \(reason)" }
}
