import Foundation
import Learning

/// The generator on disk: a safetensors file (Python: `safetensors.numpy.load_file`) holding the VAE's flat
/// parameter vector as tensor `parameters` (layout in `VAE`'s documentation) and its sizes as metadata.
public enum GeneratorFile {
    static let format = "fedattr-cvae-1"

    /// Writes `vae` with its sizes and any extra metadata (source, images, loss).
    public static func write(_ vae: VAE, metadata extra: [String: String] = [:], to path: String) throws {
        var metadata = extra
        metadata["format"] = format
        metadata["pixels"] = "\(vae.pixels)"
        metadata["classes"] = "\(vae.classes)"
        metadata["latent"] = "\(vae.latent)"
        metadata["hidden"] = "\(vae.hidden)"
        do { try SafeTensors.write([("parameters", vae.parameters)], metadata: metadata, to: path) } catch {
            throw GeneratorFileError(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads a generator `write` produced; refuses a missing file, a bad header, wrong sizes or non-finite values.
    public static func read(_ path: String) throws -> VAE {
        func fail(_ reason: String) -> GeneratorFileError { GeneratorFileError(path: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("no such file") }
        let tensors: [String: [Float]], metadata: [String: String]
        do { (tensors, metadata) = try SafeTensors.decode([UInt8](data)) } catch { throw fail(error.reason) }
        guard metadata["format"] == format else { throw fail("not a fedattr generator (format \(metadata["format"] ?? "missing"))") }
        let names = ["pixels", "classes", "latent", "hidden"]
        let sizes = names.map { metadata[$0].flatMap(Int.init) ?? 0 }
        let described = zip(names, sizes).map { "\($0)=\($1)" }.joined(separator: ", ")
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 20 }) else { throw fail("bad sizes in metadata (\(described)); expected integers in 1...\(1 << 20)") }
        guard let values = tensors["parameters"] else { throw fail("no 'parameters' tensor") }
        // The sizes are counted against the tensor the file holds before a VAE of those sizes is allocated.
        let expected = VAE.parameterCount(pixels: sizes[0], classes: sizes[1], latent: sizes[2], hidden: sizes[3])
        guard expected == values.count else {
            throw fail("the sizes \(described) need \(expected.map(String.init) ?? "more than \(Int.max)") parameters; the 'parameters' tensor holds \(values.count)")
        }
        guard let vae = VAE(pixels: sizes[0], classes: sizes[1], latent: sizes[2], hidden: sizes[3], parameters: values) else {
            throw fail("some of the \(values.count) parameters are not finite")
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
