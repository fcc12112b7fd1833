import Federation
import Foundation
import Learning
import Logging
import ServiceLifecycle

/// Process-level plumbing the daemons share: logging set-up, and running a blocking daemon loop as a
/// swift-service-lifecycle service that stops gracefully on SIGTERM or SIGINT.
enum Daemon {
    /// Bootstraps logfmt logging from the settings and returns a logger labelled `label`.
    static func logger(label: String, settings: Settings) throws -> Logger {
        let levelName = settings.string(.logLevel) ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw settings.invalid(.logLevel, levelName, "trace, debug, info, notice, warning, error or critical")
        }
        let file = settings.string(.logFile)
        try LogSink(path: file).bootstrap(level: level)
        let logger = Logger(label: label)
        logger.info("OpenBLAS kernels", metadata: ["core": "\(OpenBLASKernel.summary)"])
        for name in Settings.unknownEnvironmentVariables() {
            logger.warning("unknown setting in the environment, ignored", metadata: ["variable": "\(name)"])
        }
        return logger
    }

    /// Runs `body` on its own thread inside a service group; SIGTERM/SIGINT call `stop`, after which `body` returns.
    static func run(name: String, logger: Logger, body: @escaping @Sendable () throws -> Void,
                    stop: @escaping @Sendable () -> Void) async throws {
        let service = BlockingService(name: name, body: body, stop: stop)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: name)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

/// A daemon loop that blocks a thread (nng's receive is blocking), wrapped as a lifecycle service.
struct BlockingService: Service, CustomStringConvertible {
    let name: String
    let body: @Sendable () throws -> Void
    let stop: @Sendable () -> Void

    var description: String { name }

    func run() async throws {
        let body = self.body
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                Thread.detachNewThread {
                    do {
                        try body()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancelOrGracefulShutdown: {
            stop()
        }
    }
}
