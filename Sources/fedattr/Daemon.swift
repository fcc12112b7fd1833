import Dispatch
import Federation
import Foundation
import Logging

/// Process-level plumbing the daemons share: logging set-up and SIGTERM/SIGINT handling.
enum Daemon {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Bootstraps logfmt logging from the settings and returns a logger labelled `label`.
    static func logger(label: String, settings: Settings) throws -> Logger {
        let levelName = settings.string(.logLevel) ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw settings.invalid(.logLevel, levelName, "trace, debug, info, notice, warning, error or critical")
        }
        let file = settings.string(.logFile)
        try LogSink(path: file, echo: file == nil).bootstrap(level: level)
        return Logger(label: label)
    }

    /// Calls `handler` once on SIGTERM or SIGINT (a second signal exits at once).
    static func onTermination(_ handler: @escaping @Sendable () -> Void) {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            nonisolated(unsafe) var fired = false
            source.setEventHandler {
                if fired { exit(128 + sig) }
                fired = true
                handler()
            }
            source.resume()
            sources.append(source)
        }
    }
}
