import CNNG
import CNNGOpenSSL
import Foundation

/// An nng socket of one protocol (surveyor or respondent), the federation's only network primitive.
///
/// Why survey0: the coordinator's surveyor broadcasts a round's task to every connected client in one
/// `send`, and the survey time is the round deadline — `receive()` returns responses until it runs out and
/// then throws `.timedOut`; responses arriving after that (or to an older survey) are dropped by nng.
/// Clients are respondents that dial the coordinator's listener and reconnect by themselves, with backoff
/// (`setReconnect`), whenever the coordinator goes away.
///
/// Thread-safe: nng calls are themselves thread-safe, and the Swift state (closed flag, endpoints) is
/// guarded by a lock, hence @unchecked Sendable. `close()` may be called while another thread is blocked
/// in `receive()`, which then throws `.closed`.
public final class Socket: @unchecked Sendable {
    /// "surveyor" or "respondent".
    public let protocolName: String

    let handle: nng_socket
    private let lock = NSLock()
    private var isClosed = false
    private var listeners: [nng_listener] = []
    private var dialers: [nng_dialer] = []
    private let events = PipeEventBox()
    /// Retained for nng's pipe callback; released in deinit, after nng_close has detached the callback.
    private let eventsContext: Unmanaged<PipeEventBox>

    private init(protocolName: String, open: (UnsafeMutablePointer<nng_socket>) -> Int32) throws(TransportError) {
        var socket = nng_socket()
        let rv = open(&socket)
        if rv != 0 { throw TransportError(operation: "open \(protocolName) socket", code: rv) }
        self.protocolName = protocolName
        self.handle = socket
        self.eventsContext = Unmanaged.passRetained(events)
        for event in [NNG_PIPE_EV_ADD_POST, NNG_PIPE_EV_REM_POST] {
            let rv = nng_pipe_notify(socket, event, PipeEventBox.callback, eventsContext.toOpaque())
            if rv != 0 {
                nng_close(socket)
                eventsContext.release()
                throw TransportError(operation: "register pipe notification", code: rv)
            }
        }
    }

    deinit {
        close()
        eventsContext.release()
    }

    /// A surveyor socket (the coordinator side): `send` starts a survey, `receive` collects its responses.
    public static func surveyor() throws(TransportError) -> Socket {
        try Socket(protocolName: "surveyor") { nng_surveyor0_open($0) }
    }

    /// A respondent socket (the client side): `receive` takes a survey, `send` answers the last one received.
    public static func respondent() throws(TransportError) -> Socket {
        try Socket(protocolName: "respondent") { nng_respondent0_open($0) }
    }

    /// The nng socket id (for logs).
    public var id: UInt32 { handle.id }

    // MARK: Endpoints

    /// Listens at `url`. tls+tcp:// requires `tls` and then demands a client certificate that chains to
    /// `tls.caFile` (mutual TLS); tcp:// and inproc:// take nil. Port 0 picks a free port (see `boundPort`).
    public func listen(_ url: String, tls: TLSSettings? = nil) throws(TransportError) {
        let parsed = try TransportURL(url)
        try checkTLS(parsed, tls)
        try ensureOpen()
        var listener = nng_listener()
        var rv = nng_listener_create(&listener, handle, url)
        if rv != 0 { throw TransportError(operation: "listen \(url)", code: rv, url: url) }
        do throws(TransportError) {
            if let tls {
                let config = try TLSConfiguration.make(tls, server: true, serverName: nil)
                rv = nng_listener_set_ptr(listener, NNG_OPT_TLS_CONFIG, UnsafeMutableRawPointer(config))
                nng_tls_config_free(config)
                if rv != 0 { throw TransportError(operation: "attach TLS configuration to listener \(url)", code: rv) }
            }
            rv = nng_listener_start(listener, 0)
            if rv != 0 { throw TransportError(operation: "listen \(url)", code: rv, url: url) }
        } catch {
            nng_listener_close(listener)
            throw error
        }
        lock.lock()
        listeners.append(listener)
        lock.unlock()
    }

    /// The TCP port the most recent tcp/tls+tcp listener is bound to (useful after listening on port 0).
    public var boundPort: Int? {
        lock.lock()
        let listener = listeners.last
        lock.unlock()
        guard let listener else { return nil }
        var port: Int32 = 0
        guard nng_listener_get_int(listener, NNG_OPT_TCP_BOUND_PORT, &port) == 0 else { return nil }
        return Int(port)
    }

    /// Dials `url` (same TLS rules as `listen`; the server certificate must carry `tls.serverName`, by
    /// default the URL's host with 127.0.0.1 read as "localhost"). A blocking dial waits for the first
    /// connection, including the TLS handshake, and throws its error (the dialer is then discarded); a
    /// non-blocking dial returns at once and keeps trying in the background, silently, with the socket's
    /// reconnect backoff. Either way, once connected the dialer reconnects by itself whenever the link drops.
    public func dial(_ url: String, tls: TLSSettings? = nil, blocking: Bool = false) throws(TransportError) {
        let parsed = try TransportURL(url)
        try checkTLS(parsed, tls)
        try ensureOpen()
        var dialer = nng_dialer()
        var rv = nng_dialer_create(&dialer, handle, url)
        if rv != 0 { throw TransportError(operation: "dial \(url)", code: rv, url: url) }
        do throws(TransportError) {
            if let tls {
                let config = try TLSConfiguration.make(tls, server: false,
                                                       serverName: tls.serverName ?? parsed.defaultServerName)
                rv = nng_dialer_set_ptr(dialer, NNG_OPT_TLS_CONFIG, UnsafeMutableRawPointer(config))
                nng_tls_config_free(config)
                if rv != 0 { throw TransportError(operation: "attach TLS configuration to dialer \(url)", code: rv) }
            }
            rv = nng_dialer_start(dialer, blocking ? 0 : Int32(NNG_FLAG_NONBLOCK))
            if rv != 0 { throw TransportError(operation: "dial \(url)", code: rv, url: url) }
        } catch {
            nng_dialer_close(dialer)
            throw error
        }
        lock.lock()
        dialers.append(dialer)
        lock.unlock()
    }

    private func checkTLS(_ url: TransportURL, _ tls: TLSSettings?) throws(TransportError) {
        if url.usesTLS && tls == nil { throw .tlsRequired(url: url.text) }
        if !url.usesTLS && tls != nil { throw .tlsNotApplicable(url: url.text) }
        if let tls { try TLSEngine.select(tls.engine) }
    }

    // MARK: Options

    /// Largest message accepted from a peer; a larger one is dropped together with its connection
    /// (the peer then reconnects). 0 = no limit, nng's default. Applies to connections made afterwards,
    /// also on endpoints that already exist.
    public func setReceiveMaxSize(_ bytes: Int) throws(TransportError) {
        try check(nng_socket_set_size(handle, NNG_OPT_RECVMAXSZ, bytes), "set \(NNG_OPT_RECVMAXSZ)")
    }

    /// How long a survey accepts responses (surveyor only); `receive()` throws `.timedOut` afterwards.
    public func setSurveyTime(milliseconds: Int) throws(TransportError) {
        try check(nng_socket_set_ms(handle, NNG_OPT_SURVEYOR_SURVEYTIME, duration(milliseconds)),
                  "set \(NNG_OPT_SURVEYOR_SURVEYTIME)")
    }

    /// How long `receive()` waits before throwing `.timedOut`; -1 = forever.
    public func setReceiveTimeout(milliseconds: Int) throws(TransportError) {
        try check(nng_socket_set_ms(handle, NNG_OPT_RECVTIMEO, duration(milliseconds)), "set \(NNG_OPT_RECVTIMEO)")
    }

    /// How long `send()` waits for queue space before throwing `.timedOut`; -1 = forever.
    public func setSendTimeout(milliseconds: Int) throws(TransportError) {
        try check(nng_socket_set_ms(handle, NNG_OPT_SENDTIMEO, duration(milliseconds)), "set \(NNG_OPT_SENDTIMEO)")
    }

    /// Reconnect backoff of dialers: first retry after `min`, doubling up to `max` (0 = stay at `min`).
    /// Applies to dialers created afterwards and to the existing ones.
    public func setReconnect(minMilliseconds: Int, maxMilliseconds: Int) throws(TransportError) {
        try check(nng_socket_set_ms(handle, NNG_OPT_RECONNMINT, duration(minMilliseconds)), "set \(NNG_OPT_RECONNMINT)")
        try check(nng_socket_set_ms(handle, NNG_OPT_RECONNMAXT, duration(maxMilliseconds)), "set \(NNG_OPT_RECONNMAXT)")
        lock.lock()
        let current = dialers
        lock.unlock()
        for dialer in current {
            _ = nng_dialer_set_ms(dialer, NNG_OPT_RECONNMINT, duration(minMilliseconds))
            _ = nng_dialer_set_ms(dialer, NNG_OPT_RECONNMAXT, duration(maxMilliseconds))
        }
    }

    /// Calls `handler` on an nng thread after a connection joins (`.added`) or leaves (`.removed`) the socket.
    /// Keep it short and non-blocking; replaces any earlier handler; not called after `close()`.
    public func onPipeEvent(_ handler: @escaping @Sendable (PipeEvent, PipeID) -> Void) throws(TransportError) {
        try ensureOpen()
        events.set(handler)
    }

    // MARK: Messages

    /// Sends one message: a surveyor starts a new survey to every connected respondent (cancelling the previous
    /// one); a respondent answers the survey it received last.
    public func send(_ bytes: [UInt8]) throws(TransportError) {
        let message = try Self.message(bytes)
        let rv = nng_sendmsg(handle, message, 0)
        if rv != 0 {
            nng_msg_free(message)
            throw TransportError(operation: "send", code: rv)
        }
    }

    /// A new nng message holding a copy of `bytes`; the caller owns it.
    static func message(_ bytes: [UInt8]) throws(TransportError) -> OpaquePointer {
        var message: OpaquePointer?
        let rv = nng_msg_alloc(&message, bytes.count)
        guard rv == 0, let message else { throw TransportError(operation: "allocate message", code: rv) }
        if !bytes.isEmpty {
            bytes.withUnsafeBytes { source in
                nng_msg_body(message).copyMemory(from: source.baseAddress!, byteCount: source.count)
            }
        }
        return message
    }

    /// The body of `message` and the pipe it came on; frees `message`.
    static func received(_ message: OpaquePointer) -> Received {
        defer { nng_msg_free(message) }
        let count = nng_msg_len(message)
        var bytes = [UInt8](repeating: 0, count: count)
        if count > 0 {
            bytes.withUnsafeMutableBytes { target in
                target.baseAddress!.copyMemory(from: nng_msg_body(message), byteCount: count)
            }
        }
        let pipe = UInt32(bitPattern: nng_pipe_id(nng_msg_get_pipe(message)))
        return Received(bytes: bytes, pipe: pipe)
    }

    /// Blocks for the next message and says which connection it came on; throws `.timedOut` after the receive
    /// timeout (or, on a surveyor, when the survey time is over) and `.closed` once the socket is closed.
    public func receive() throws(TransportError) -> Received {
        var message: OpaquePointer?
        let rv = nng_recvmsg(handle, &message, 0)
        guard rv == 0, let message else { throw TransportError(operation: "receive", code: rv) }
        return Self.received(message)
    }

    /// A new context of this socket (see `SocketContext`).
    public func openContext() throws(TransportError) -> SocketContext {
        try ensureOpen()
        return try SocketContext(socket: self)
    }

    // MARK: Pipes

    /// Whether the connection's peer presented a certificate that verified (false for tcp/inproc or unknown pipes).
    public func pipeIsTLSVerified(_ pipe: PipeID) -> Bool {
        var verified = false
        guard nng_pipe_get_bool(nng_pipe(id: pipe), NNG_OPT_TLS_VERIFIED, &verified) == 0 else { return false }
        return verified
    }

    /// The peer's address as "a.b.c.d:port", "[v6]:port" or "inproc://name", for logs; nil if unknown.
    public func pipeRemoteAddress(_ pipe: PipeID) -> String? {
        var address = nng_sockaddr()
        guard nng_pipe_get_addr(nng_pipe(id: pipe), NNG_OPT_REMADDR, &address) == 0 else { return nil }
        switch UInt32(address.s_family) {
        case NNG_AF_INET.rawValue:
            return AddressText.ipv4(UInt32(bigEndian: address.s_in.sa_addr), port: UInt16(bigEndian: address.s_in.sa_port))
        case NNG_AF_INET6.rawValue:
            return AddressText.ipv6(withUnsafeBytes(of: address.s_in6.sa_addr) { Array($0) }, port: UInt16(bigEndian: address.s_in6.sa_port))
        case NNG_AF_INPROC.rawValue:
            let name = withUnsafeBytes(of: address.s_inproc.sa_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            return "inproc://\(name)"
        default:
            return nil
        }
    }

    /// Whether nng still knows the connection (false once it is closed and reaped), whatever pipe events said.
    public func pipeExists(_ pipe: PipeID) -> Bool {
        var address = nng_sockaddr()
        let rv = UInt32(bitPattern: nng_pipe_get_addr(nng_pipe(id: pipe), NNG_OPT_REMADDR, &address))
        return rv != NNG_ENOENT.rawValue && rv != NNG_ECLOSED.rawValue
    }

    /// Drops one connection (e.g. a peer that failed authentication at the application level). A tls+tcp connection
    /// of the OpenSSL engine is retired by the engine, which closes it as soon as no message is half sent or half
    /// received: nng 1.5.2 strands a pipe closed mid-message and then frees no connection of the process any more
    /// (docs/SECURITY.md). Any other connection is closed by nng at once.
    public func closePipe(_ pipe: PipeID) {
        let p = nng_pipe(id: pipe)
        var remote = nng_sockaddr()
        var local = nng_sockaddr()
        if nng_pipe_get_addr(p, NNG_OPT_REMADDR, &remote) == 0, nng_pipe_get_addr(p, NNG_OPT_LOCADDR, &local) == 0,
           fedattr_tls_retire(&remote, &local) {
            return
        }
        _ = nng_pipe_close(p)
    }

    // MARK: Closing

    /// Closes the socket and all its connections; idempotent. A thread blocked in `receive()` gets `.closed`.
    public func close() {
        lock.lock()
        let wasClosed = isClosed
        isClosed = true
        lock.unlock()
        guard !wasClosed else { return }
        events.set(nil)
        nng_close(handle)
    }

    /// Closes the socket on a thread of its own and waits at most `seconds` for nng to release it: nng 1.5.2 can wait
    /// in nng_close without end for a send its TLS layer stranded when a connection broke mid-send (docs/SECURITY.md).
    /// Returns whether the socket was released in time; if not, the close goes on in the background.
    @discardableResult
    public func close(waitingAtMost seconds: Double) -> Bool {
        Self.finishes(within: seconds) { self.close() }
    }

    /// Runs `body` on a new thread; whether it finished within `seconds` (it runs on regardless).
    static func finishes(within seconds: Double, _ body: @escaping @Sendable () -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            body()
            done.signal()
        }
        return done.wait(timeout: .now() + seconds) == .success
    }

    private func ensureOpen() throws(TransportError) {
        lock.lock()
        defer { lock.unlock() }
        if isClosed { throw .closed }
    }

    private func check(_ rv: Int32, _ operation: String) throws(TransportError) {
        if rv != 0 { throw TransportError(operation: operation, code: rv) }
    }

    private func duration(_ milliseconds: Int) -> nng_duration {
        nng_duration(clamping: milliseconds)
    }
}
