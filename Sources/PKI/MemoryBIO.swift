import CCrypto

/// An owned OpenSSL memory BIO: a read-only view of some bytes, or a growable sink.
final class MemoryBIO {
    let handle: OpaquePointer
    /// Keeps the bytes alive while a read-only BIO points at them.
    private let source: UnsafeMutableBufferPointer<UInt8>?

    /// An empty sink to write into.
    init() {
        guard let bio = BIO_new(BIO_s_mem()) else { fatalError("BIO_new(BIO_s_mem()) failed: out of memory") }
        handle = bio
        source = nil
    }

    /// A read-only BIO over a private copy of `bytes`.
    init(_ bytes: [UInt8]) {
        let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = copy.initialize(from: bytes)
        guard let bio = BIO_new_mem_buf(copy.baseAddress, Int32(bytes.count)) else {
            fatalError("BIO_new_mem_buf failed: out of memory")
        }
        handle = bio
        source = copy
    }

    deinit {
        BIO_free(handle)
        source?.deallocate()
    }

    /// Everything written into the sink so far.
    var bytes: [UInt8] {
        var data: UnsafeMutablePointer<CChar>? = nil
        let count = fedattr_bio_mem_data(handle, &data)
        guard count > 0, let data else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}
