import PKI
import Wire

/// Element-wise arithmetic on flat parameter vectors: a model stepped by an update. (An update from two models is
/// `Adversary.UpdateVector.difference`, where the strategies compute it.)
public enum ParameterVector {
    /// SHA-256 of `WireCodec.tensorBytes(values)` (what model and update digests are taken over), without the copy
    /// on a little-endian machine, where those bytes are the array's own memory.
    public static func digest(_ values: [Float]) -> [UInt8] {
        #if _endian(little)
        values.withUnsafeBytes { Digest.sha256($0) }
        #else
        Digest.sha256(WireCodec.tensorBytes(values))
        #endif
    }

    /// `base + delta`, e.g. the global model after an aggregate.
    static func adding(_ delta: [Float], to base: [Float]) -> [Float] {
        precondition(delta.count == base.count, "vector lengths differ: \(delta.count) vs \(base.count)")
        return zip(base, delta).map { $0 + $1 }
    }
}
