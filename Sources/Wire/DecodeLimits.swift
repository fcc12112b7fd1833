/// Bounds the decoder enforces on tensors, on top of the protocol's fixed field limits.
public struct DecodeLimits: Sendable {
    /// Largest tensor value count accepted.
    public var maxParameters: Int
    /// When set, every tensor must have exactly this many values.
    public var expectedParameters: Int?

    public init(maxParameters: Int = 50_000_000, expectedParameters: Int? = nil) {
        self.maxParameters = maxParameters
        self.expectedParameters = expectedParameters
    }

    /// Client IDs are 1...128 bytes of UTF-8.
    public static let maxClientIDBytes = 128
    /// Federation spec strings are at most 1 MiB.
    public static let maxSpecBytes = 1 << 20
    /// Certificates are at most 64 KiB of DER.
    public static let maxCertificateBytes = 1 << 16
    /// Signatures are at most 1 KiB.
    public static let maxSignatureBytes = 1 << 10

    /// The largest update message a model of `parameters` values can produce: float32 tensor, every variable field at
    /// its limit (PROTOCOL.md §8); the coordinator's receive limit.
    public static func maxUpdateMessageBytes(parameters: Int) -> Int {
        EnvelopeHeader.size + 93 + maxClientIDBytes + maxCertificateBytes + maxSignatureBytes + 4 * parameters
    }

    /// The largest task message for a model of `parameters` values (float32, spec at its limit); also bounds probes
    /// and finish messages, so it is a client's receive limit once it knows the model.
    public static func maxTaskMessageBytes(parameters: Int) -> Int {
        EnvelopeHeader.size + 121 + maxSpecBytes + maxSignatureBytes + 4 * parameters
    }
}
