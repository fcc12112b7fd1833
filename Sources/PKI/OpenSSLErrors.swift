import CCrypto

/// Drains OpenSSL's per-thread error queue into one readable line.
enum OpenSSLErrors {
    /// All queued errors joined with "; " (oldest first), or `fallback` when the queue is empty. Empties the queue.
    static func drain(fallback: String = "unknown OpenSSL error") -> String {
        var messages: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(text(buffer))
        }
        return messages.isEmpty ? fallback : messages.joined(separator: "; ")
    }

    /// The NUL-terminated text in a C character buffer.
    static func text(_ buffer: [CChar]) -> String {
        let end = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Discards stale errors so that the next `drain` reports only the operation that follows.
    static func clear() { ERR_clear_error() }
}
