import CNNG
import Foundation

/// One nng context of a socket: an independent conversation on shared connections. On a surveyor each context runs
/// its own survey (a round's survey can stay open for late answers while the next round's runs on another
/// context); on a respondent each context answers the survey it received, so receiving the next survey never
/// redirects the answer to an earlier one.
///
/// Thread-safe: nng's context calls are; `close()` may be called while another thread is blocked in `receive()`,
/// which then throws `.closed`.
public final class SocketContext: @unchecked Sendable {
    private let context: nng_ctx
    private let lock = NSLock()
    private var isClosed = false

    init(socket: Socket) throws(TransportError) {
        var context = nng_ctx()
        let rv = nng_ctx_open(&context, socket.handle)
        if rv != 0 { throw TransportError(operation: "open context", code: rv) }
        self.context = context
    }

    deinit { close() }

    /// How long this context's survey accepts responses (surveyor only); `receive()` throws `.timedOut` afterwards.
    public func setSurveyTime(milliseconds: Int) throws(TransportError) {
        let rv = nng_ctx_set_ms(context, NNG_OPT_SURVEYOR_SURVEYTIME, nng_duration(clamping: milliseconds))
        if rv != 0 { throw TransportError(operation: "set context \(NNG_OPT_SURVEYOR_SURVEYTIME)", code: rv) }
    }

    /// Surveyor: starts this context's survey (cancelling its previous one). Respondent: answers the survey this
    /// context received last.
    /// Gives up (`.timedOut`) after `timeoutMilliseconds` if the connection cannot take the message.
    public func send(_ bytes: [UInt8], timeoutMilliseconds: Int = 60_000) throws(TransportError) {
        let message = try Socket.message(bytes)
        let rv = try withAIO { aio -> Int32 in
            nng_aio_set_timeout(aio, nng_duration(clamping: timeoutMilliseconds))
            nng_aio_set_msg(aio, message)
            nng_ctx_send(context, aio)
            nng_aio_wait(aio)
            return nng_aio_result(aio)
        }
        if rv != 0 {
            nng_msg_free(message)  // nng hands a message back to the caller when sending fails
            throw TransportError(operation: "send", code: rv)
        }
    }

    /// Blocks for the next message on this context. A surveyor's context throws `.timedOut` when its survey time is
    /// over; any context throws `.closed` once it or its socket is closed.
    public func receive() throws(TransportError) -> Received {
        try withAIO { aio throws(TransportError) -> Received in
            nng_ctx_recv(context, aio)
            nng_aio_wait(aio)
            let rv = nng_aio_result(aio)
            guard rv == 0, let message = nng_aio_get_msg(aio) else { throw TransportError(operation: "receive", code: rv) }
            return Socket.received(message)
        }
    }

    /// Closes the context (idempotent); a blocked `receive()` throws `.closed`.
    public func close() {
        lock.lock()
        let wasClosed = isClosed
        isClosed = true
        lock.unlock()
        if !wasClosed { _ = nng_ctx_close(context) }
    }

    private func withAIO<T>(_ body: (OpaquePointer) throws(TransportError) -> T) throws(TransportError) -> T {
        var aio: OpaquePointer?
        let rv = nng_aio_alloc(&aio, nil, nil)
        guard rv == 0, let aio else { throw TransportError(operation: "allocate aio", code: rv) }
        defer { nng_aio_free(aio) }
        return try body(aio)
    }
}
