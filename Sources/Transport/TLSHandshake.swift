import CNNGOpenSSL
import Foundation

/// One finished TLS handshake as the OpenSSL engine reports it: refused (with the reason) or accepted (with the
/// negotiated version and cipher), and the peer's certificate when it presented one. nng's built-in mbedTLS
/// engine reports nothing.
public struct TLSHandshake: Sendable, Equatable {
    /// We were the listening (server) side.
    public var server: Bool
    public var refused: Bool
    /// Why it was refused ("" when accepted), e.g. "certificate verify failed at depth 0: certificate has expired".
    public var reason: String
    /// The peer's "address:port" ("" if unknown).
    public var peer: String
    /// Our end's "address:port" ("" if unknown): on the server side, the listener's address, which tells one
    /// listener's handshakes from another's in the same process (the observers are process-wide).
    public var local: String
    /// The peer leaf certificate's subject (RFC 2253) and SHA-256 fingerprint (hex); "" when none was presented.
    public var subject: String
    public var fingerprint: String
    /// "TLSv1.3" / "TLSv1.2" and the cipher suite, "" when refused.
    public var version: String
    public var cipher: String

    /// Calls `handler` on nng's I/O thread after every handshake of the OpenSSL engine, until the returned
    /// observation is cancelled. Keep the handler short; it must not call into nng.
    public static func observe(_ handler: @escaping @Sendable (TLSHandshake) -> Void) -> Observation {
        observers.add(handler)
    }

    /// A registered handshake handler; `cancel()` (or releasing it) stops delivery.
    public final class Observation: Sendable {
        let id: Int
        init(id: Int) { self.id = id }
        public func cancel() { TLSHandshake.observers.remove(id) }
        deinit { cancel() }
    }

    static let observers = Observers()

    final class Observers: @unchecked Sendable {  // all state behind `lock`
        private let lock = NSLock()
        private var next = 0
        private var handlers: [Int: @Sendable (TLSHandshake) -> Void] = [:]

        func add(_ handler: @escaping @Sendable (TLSHandshake) -> Void) -> Observation {
            lock.lock()
            defer { lock.unlock() }
            next += 1
            handlers[next] = handler
            return Observation(id: next)
        }

        func remove(_ id: Int) {
            lock.lock()
            handlers.removeValue(forKey: id)
            lock.unlock()
        }

        func deliver(_ event: TLSHandshake) {
            lock.lock()
            let current = Array(handlers.values)
            lock.unlock()
            for handler in current { handler(event) }
        }
    }

    /// The C handler the engine calls.
    static let callback: fedattr_tls_event_handler = { event, _ in
        guard let event else { return }
        let e = event.pointee
        observers.deliver(TLSHandshake(
            server: e.server, refused: e.refused, reason: String(cString: e.reason), peer: String(cString: e.peer),
            local: String(cString: e.local),
            subject: String(cString: e.subject), fingerprint: String(cString: e.fingerprint),
            version: String(cString: e.version), cipher: String(cString: e.cipher)))
    }
}
