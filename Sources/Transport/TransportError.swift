import CNNG

/// What went wrong in a socket operation; the common nng error codes get their own case.
public enum TransportError: Error, CustomStringConvertible, Equatable {
    /// The receive/send timeout or the survey time ran out (NNG_ETIMEDOUT).
    case timedOut
    /// The socket was closed, possibly by another thread while this one was blocked (NNG_ECLOSED).
    case closed
    /// The TLS handshake failed: a certificate did not verify (chain, dates, name, key usage) (NNG_ECRYPTO, NNG_EPEERAUTH).
    case cryptoRefused
    /// Nobody listens at the address (NNG_ECONNREFUSED).
    case connectionRefused
    /// The peer closed the connection during setup, e.g. a TLS server dropping a client without certificate (NNG_ECONNSHUT).
    case connectionShut
    /// Another socket already listens at the address (NNG_EADDRINUSE).
    case addressInUse
    /// The URL cannot be used: unknown scheme, bad host or port.
    case invalidURL(String)
    /// A tls+tcp:// URL was given without TLS settings.
    case tlsRequired(url: String)
    /// TLS settings were given for a URL whose transport is not TLS (tcp://, inproc://, ...).
    case tlsNotApplicable(url: String)
    /// Building the TLS configuration failed (unreadable CA or certificate/key file, ...).
    case tlsConfiguration(String)
    /// Any other nng failure: the operation, nng's error code and nng_strerror's text.
    case nng(operation: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case .timedOut: "timed out"
        case .closed: "socket closed"
        case .cryptoRefused: "TLS handshake refused: peer certificate did not verify (or ours was rejected)"
        case .connectionRefused: "connection refused"
        case .connectionShut: "connection shut by peer"
        case .addressInUse: "address in use"
        case .invalidURL(let url): "invalid URL '\(url)'"
        case .tlsRequired(let url): "URL '\(url)' uses TLS but no TLS settings were given"
        case .tlsNotApplicable(let url): "TLS settings given for non-TLS URL '\(url)'"
        case .tlsConfiguration(let what): "TLS configuration: \(what)"
        case .nng(let operation, let code, let message): "\(operation) failed: \(message) (nng error \(code))"
        }
    }

    /// Maps an nng return code of `operation` (non-zero) to an error.
    init(operation: String, code: Int32, url: String? = nil) {
        switch UInt32(bitPattern: code) {
        case NNG_ETIMEDOUT.rawValue: self = .timedOut
        case NNG_ECLOSED.rawValue: self = .closed
        case NNG_ECRYPTO.rawValue, NNG_EPEERAUTH.rawValue: self = .cryptoRefused
        case NNG_ECONNREFUSED.rawValue: self = .connectionRefused
        case NNG_ECONNSHUT.rawValue: self = .connectionShut
        case NNG_EADDRINUSE.rawValue: self = .addressInUse
        case NNG_EADDRINVAL.rawValue, NNG_ENOTSUP.rawValue:
            if let url {
                self = .invalidURL(url)
            } else {
                self = .nng(operation: operation, code: code, message: TransportError.text(code))
            }
        default: self = .nng(operation: operation, code: code, message: TransportError.text(code))
        }
    }

    static func text(_ code: Int32) -> String {
        guard let text = nng_strerror(code) else { return "unknown error" }
        return String(cString: text)
    }
}
