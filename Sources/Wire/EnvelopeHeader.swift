/// The fixed 28-byte header in front of every message body.
public struct EnvelopeHeader: Sendable, Equatable {
    public var version: UInt16
    public var type: MessageType
    public var flags: UInt16
    public var round: UInt64
    public var bodyLength: UInt32
    public var checksum: UInt32

    /// Header size in bytes.
    public static let size = 28
    /// 'F' 'D' 'A' 'T'.
    public static let magic: [UInt8] = [0x46, 0x44, 0x41, 0x54]
    /// Flag bit 0: the message's tensor is float16.
    public static let float16Flag: UInt16 = 1

    public var tensorEncoding: TensorEncoding { flags & Self.float16Flag != 0 ? .float16 : .float32 }

    /// Parses and checks the header fields (magic, version, type, flags, reserved); does not look at the body.
    public init(parsing bytes: [UInt8]) throws(WireError) {
        guard bytes.count >= Self.size else { throw .truncated(expected: Self.size, got: bytes.count) }
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
        let magic = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
        guard magic == 0x4644_4154 else { throw .badMagic(found: magic) }
        version = u16(4)
        guard version == WireCodec.version else { throw .unsupportedVersion(version) }
        let code = u16(6)
        guard let type = MessageType(rawValue: code) else { throw .unknownType(code) }
        self.type = type
        flags = u16(8)
        guard flags & ~Self.float16Flag == 0 else { throw .unknownFlags(flags) }
        if flags != 0, type != .task, type != .update { throw .flagsNotAllowed(flags: flags, type: type) }
        let reserved = u16(10)
        guard reserved == 0 else { throw .nonzeroReserved(reserved) }
        round = UInt64(u32(12)) | UInt64(u32(16)) << 32
        bodyLength = u32(20)
        checksum = u32(24)
    }
}
