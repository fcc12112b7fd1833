/// How a tensor's values are laid out on the wire; decoding always yields `[Float]`.
public enum TensorEncoding: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// IEEE 754 binary32, little-endian, 4 bytes per value.
    case float32 = 1
    /// IEEE 754 binary16, little-endian, 2 bytes per value (rounded to nearest, ties to even).
    case float16 = 2

    /// Bytes per value.
    public var width: Int { self == .float32 ? 4 : 2 }

    public var description: String { self == .float32 ? "float32" : "float16" }
}
