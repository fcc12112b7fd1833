import CNNG
import CNNGOpenSSL
import Foundation

/// The TLS library behind nng's tls+tcp:// in this process: fedattr's OpenSSL engine (TLS 1.3, AES-GCM) or the
/// mbedTLS engine built into Debian's libnng (TLS 1.2, kept for comparison and interop checks).
///
/// nng holds one engine for the whole process and binds it to each TLS configuration when that is made, so the
/// choice is made once, before the first socket: `select` it explicitly, or the first socket takes `processDefault`.
public enum TLSEngine: String, Sendable, CaseIterable {
    case openssl
    case mbedtls

    /// The engine used when none was selected: `FEDATTR_TLS_ENGINE` from the environment if set, else OpenSSL.
    public static var processDefault: TLSEngine {
        ProcessInfo.processInfo.environment["FEDATTR_TLS_ENGINE"].flatMap(TLSEngine.init(rawValue:)) ?? builtInDefault
    }

    /// The default when the environment names none.
    public static let builtInDefault: TLSEngine = .openssl

    private static let state = Selection()

    /// Makes `engine` the process's TLS engine. Selecting the engine already in use is a no-op; switching after
    /// one was in use throws, since configurations made earlier would keep the old one.
    public static func select(_ engine: TLSEngine) throws(TransportError) {
        try state.select(engine)
    }

    /// The engine in use, selecting `processDefault` if none was selected yet.
    public static var active: TLSEngine {
        get throws(TransportError) { try state.activeOrDefault() }
    }

    /// Connections the OpenSSL engine's sweeper closed in this process: left by nng on a hung-up socket, or refused
    /// peers that did not close within 2 s of the alert (engine.c, "The sweeper"). 0 under mbedTLS.
    public static var sweptConnections: Int { fedattr_tls_swept_connections() }

    /// Connections retired by `Socket.closePipe` that nng has not freed yet (engine.c, "Retiring a connection").
    public static var retiringConnections: Int { fedattr_tls_retiring_connections() }

    /// Whether OpenSSL's clean-up at process exit is off in this process (set before main by engine.c): nng may still be
    /// running a handshake on its own threads when a daemon exits, and that handshake crashed on freed OpenSSL state.
    public static var keepsOpenSSLUntilExit: Bool { fedattr_openssl_exit_cleanup_disabled() }

    /// nng's name and description of the engine in use, e.g. "openssl (OpenSSL 3.0.19 …)".
    public static var activeDescription: String {
        String(cString: nng_tls_engine_name()) + " (" + String(cString: nng_tls_engine_description()) + ")"
    }

    /// Serialises selection; registering the OpenSSL engine happens at most once per process.
    private final class Selection: @unchecked Sendable {  // `chosen` behind `lock`
        private let lock = NSLock()
        private var chosen: TLSEngine?

        func select(_ engine: TLSEngine) throws(TransportError) {
            lock.lock()
            defer { lock.unlock() }
            if let chosen {
                if chosen == engine { return }
                throw .tlsConfiguration("the TLS engine is already \(chosen.rawValue) in this process; \(engine.rawValue) must be selected before any socket is opened")
            }
            if engine == .openssl {
                let rv = fedattr_tls_openssl_register()
                if rv != 0 { throw .tlsConfiguration("cannot register the OpenSSL TLS engine: \(TransportError.text(rv))") }
                fedattr_tls_set_event_handler(TLSHandshake.callback, nil)
            }
            chosen = engine
        }

        func activeOrDefault() throws(TransportError) -> TLSEngine {
            lock.lock()
            let current = chosen
            lock.unlock()
            if let current { return current }
            let engine = TLSEngine.processDefault
            try select(engine)
            return engine
        }
    }
}
