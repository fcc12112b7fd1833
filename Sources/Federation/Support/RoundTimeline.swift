import Foundation
import Logging
import Transport

/// When each step of one round happened in one process, on CLOCK_MONOTONIC (shared by the processes of one host, so
/// a coordinator's and its clients' timelines line up). Logged once per round at debug level (`msg=timeline`, one
/// `t_STEP=µs[,µs…]` field per step) after the round's critical path; `fedattr bench round --timeline` reads them back.
public struct RoundTimeline: Sendable, Equatable {
    public static let message: Logger.Message = "timeline"

    public var round: UInt64
    /// "coordinator" or the client's id.
    public var side: String
    /// Steps in the order first marked, each with every time it was marked (per update, per pipe…), in microseconds.
    public private(set) var steps: [(name: String, micros: [UInt64])] = []

    public init(round: UInt64, side: String) {
        self.round = round
        self.side = side
    }

    /// Microseconds on CLOCK_MONOTONIC.
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }

    /// Records `step` at `micros` (now by default); a step marked again keeps every time.
    public mutating func mark(_ step: String, at micros: UInt64 = RoundTimeline.now()) {
        if let i = steps.firstIndex(where: { $0.name == step }) {
            steps[i].micros.append(micros)
        } else {
            steps.append((step, [micros]))
        }
    }

    /// Marks the TLS engine's events of messages of at least `minLength` bytes: `pipe_sent` (a message's last byte
    /// encrypted), `first_byte` and `last_byte` (a received message's first and last bytes decrypted).
    public mutating func mark(_ events: [TLSMessageTrace.Event], kinds: Set<TLSMessageTrace.Kind>, minLength: Int = 4096) {
        for e in events where e.length >= minLength && kinds.contains(e.kind) {
            switch e.kind {
            case .sent: mark("pipe_sent", at: e.micros)
            case .firstReceived: mark("first_byte", at: e.micros)
            case .lastReceived: mark("last_byte", at: e.micros)
            }
        }
    }

    public func times(_ step: String) -> [UInt64] { steps.first { $0.name == step }?.micros ?? [] }

    /// Logs the timeline at debug level (nothing is formatted when the logger is above debug).
    public func log(to logger: Logger) {
        guard logger.logLevel <= .debug else { return }
        logger.debug(Self.message, metadata: metadata)
    }

    public var metadata: Logger.Metadata {
        var m: Logger.Metadata = ["round": "\(round)", "side": "\(side)"]
        for step in steps { m["t_" + step.name] = "\(step.micros.map(String.init).joined(separator: ","))" }
        return m
    }

    /// The timeline of a logfmt line written by `LogfmtLogHandler` with this message, or nil for any other line.
    public init?<S: StringProtocol>(logfmtLine line: S) {
        guard line.contains("msg=\(Self.message)") else { return nil }
        var round: UInt64?, side: String?
        var steps: [(String, [UInt64])] = []
        for token in line.split(separator: " ") {
            guard let eq = token.firstIndex(of: "=") else { continue }
            let key = token[..<eq], value = token[token.index(after: eq)...]
            if key == "round" { round = UInt64(value) }
            if key == "side" { side = String(value) }
            if key.hasPrefix("t_") {
                steps.append((String(key.dropFirst(2)), value.split(separator: ",").compactMap { UInt64($0) }))
            }
        }
        guard let round, let side else { return nil }
        self.init(round: round, side: side)
        self.steps = steps
    }

    public static func == (a: RoundTimeline, b: RoundTimeline) -> Bool {
        a.round == b.round && a.side == b.side && a.steps.map(\.name) == b.steps.map(\.name)
            && a.steps.map(\.micros) == b.steps.map(\.micros)
    }
}
