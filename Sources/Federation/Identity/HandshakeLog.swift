import Foundation
import Logging
import Transport

/// Logs the TLS handshakes of this process's listener (or dialer): every refusal as a warning with its reason, the
/// peer address and, when one was presented, the peer certificate's subject and fingerprint; accepted ones at debug.
/// Rate-limited (a token bucket) so a flood of bad handshakes cannot fill the disk: lines over the limit are counted
/// and the count rides on the next line that is written (`suppressed=N`). Only the OpenSSL engine reports handshakes.
final class HandshakeLog: @unchecked Sendable {  // bucket state behind `lock`
    private let logger: Logger
    private let server: Bool
    private let perSecond: Double
    private let burst: Double
    private let lock = NSLock()
    private var tokens: Double
    private var refilled = Date()
    private var suppressed = 0
    private var observation: TLSHandshake.Observation?

    /// Starts logging the handshakes where this process is the `server` (listener) side, or the client side.
    init(logger: Logger, server: Bool, perSecond: Double = 5, burst: Double = 20) {
        self.logger = logger
        self.server = server
        self.perSecond = perSecond
        self.burst = burst
        tokens = burst
        observation = TLSHandshake.observe { [weak self] handshake in self?.handle(handshake) }
    }

    func stop() {
        observation?.cancel()
        observation = nil
    }

    func handle(_ h: TLSHandshake) {
        guard h.server == server else { return }
        guard h.refused else {
            logger.debug("TLS handshake accepted", metadata: [
                "peer": "\(h.peer)", "subject": "\(h.subject)", "version": "\(h.version)", "cipher": "\(h.cipher)"])
            return
        }
        lock.lock()
        let now = Date()
        tokens = min(burst, tokens + now.timeIntervalSince(refilled) * perSecond)
        refilled = now
        guard tokens >= 1 else {
            suppressed += 1
            lock.unlock()
            return
        }
        tokens -= 1
        let skipped = suppressed
        suppressed = 0
        lock.unlock()
        var metadata: Logger.Metadata = ["reason": "\(h.reason)", "peer": "\(h.peer.isEmpty ? "unknown" : h.peer)"]
        metadata["subject"] = h.subject.isEmpty ? "none" : "\(h.subject)"
        if !h.fingerprint.isEmpty { metadata["fingerprint"] = "\(h.fingerprint)" }
        if skipped > 0 { metadata["suppressed"] = "\(skipped)" }
        logger.warning("TLS handshake refused", metadata: metadata)
    }
}
