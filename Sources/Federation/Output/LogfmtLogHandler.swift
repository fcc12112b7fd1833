import Foundation
import Logging

/// A swift-log handler writing one logfmt line per event (`ts=… level=… component=… msg="…" key=value…`),
/// so logs can be grepped and parsed by any logfmt reader.
public struct LogfmtLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: LogSink

    /// A handler for `label` writing to `sink`.
    public init(label: String, sink: LogSink) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = "ts=\(Self.timestamp()) level=\(event.level) component=\(Self.quote(label)) msg=\(Self.quote(event.message.description))"
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quote(merged[key]!.description))"
        }
        sink.write(line + "\n")
    }

    /// The value as it appears in a logfmt line: bare when it is a simple token, quoted with escapes otherwise.
    static func quote(_ value: String) -> String {
        let bare = !value.isEmpty && value.unicodeScalars.allSatisfy { s in
            s.value > 0x20 && s.value < 0x7f && s != "\"" && s != "=" && s != "\\"
        }
        if bare { return value }
        var out = "\""
        for ch in value {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out + "\""
    }

    static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var tm = tm()
        var seconds = tv.tv_sec
        gmtime_r(&seconds, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, Int(tv.tv_usec / 1000))
    }
}

/// Where log lines go: a file when one is given, standard error otherwise; thread-safe.
public final class LogSink: @unchecked Sendable {  // all writes go through `lock`
    private let lock = NSLock()
    private let file: FileHandle?
    private let toStandardError: Bool

    /// A sink appending to `path` (created if missing), or writing to standard error when `path` is nil.
    public init(path: String?) throws {
        if let path {
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw FederationError.cannotWrite(path: path)
            }
            handle.seekToEndOfFile()
            file = handle
        } else {
            file = nil
        }
        toStandardError = path == nil
    }

    func write(_ line: String) {
        let data = Data(line.utf8)
        lock.lock()
        defer { lock.unlock() }
        file?.write(data)
        if toStandardError { FileHandle.standardError.write(data) }
    }

    /// Installs logfmt logging process-wide at `level`, writing to this sink. swift-log allows this once per
    /// process; later calls (a process that runs many federations) change nothing and return false.
    @discardableResult
    public func bootstrap(level: Logger.Level) -> Bool {
        Self.bootstrapLock.lock()
        defer { Self.bootstrapLock.unlock() }
        guard !Self.bootstrapped else { return false }
        Self.bootstrapped = true
        LoggingSystem.bootstrap { label in
            var handler = LogfmtLogHandler(label: label, sink: self)
            handler.logLevel = level
            return handler
        }
        return true
    }

    private static let bootstrapLock = NSLock()
    nonisolated(unsafe) private static var bootstrapped = false

    /// A logger writing logfmt lines at `level` to this sink only, whatever the process-wide logging set-up
    /// (one per run when a process runs many federations).
    public func logger(label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { label in LogfmtLogHandler(label: label, sink: self) }
        logger.logLevel = level
        return logger
    }
}
