import CNNGOpenSSL

/// When the OpenSSL engine encrypted or decrypted whole messages, per connection (CLOCK_MONOTONIC): the part of a
/// round's timeline inside nng's TLS layer. Off unless enabled; nng's mbedTLS engine records nothing.
public enum TLSMessageTrace {
    public enum Kind: Sendable, Hashable {
        /// The message's last byte was encrypted into nng's send buffer.
        case sent
        /// Its first bytes were decrypted.
        case firstReceived
        /// Its last byte was decrypted.
        case lastReceived
    }

    public struct Event: Sendable, Equatable {
        /// CLOCK_MONOTONIC, microseconds.
        public var micros: UInt64
        /// Length in nng's framing (protocol header + body).
        public var length: Int
        public var kind: Kind
        /// The connection's remote TCP port (0 if unknown).
        public var peerPort: UInt16
    }

    /// Turns recording on or off for the whole process.
    public static func enable(_ on: Bool) { fedattr_tls_trace(on) }

    /// Takes every event recorded since the last drain, oldest first (at most 4096 are kept in between).
    public static func drain() -> [Event] {
        var buffer = [fedattr_tls_trace_event](repeating: fedattr_tls_trace_event(), count: 256)
        var out: [Event] = []
        while true {
            let n = buffer.withUnsafeMutableBufferPointer { fedattr_tls_trace_drain($0.baseAddress, $0.count) }
            for e in buffer.prefix(n) {
                let kind: Kind = switch e.kind {
                case FEDATTR_TLS_TRACE_SENT: .sent
                case FEDATTR_TLS_TRACE_FIRST_RECEIVED: .firstReceived
                default: .lastReceived
                }
                out.append(Event(micros: e.micros, length: Int(e.length), kind: kind, peerPort: e.peer_port))
            }
            if n < buffer.count { return out }
        }
    }
}
