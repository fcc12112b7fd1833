import Foundation
import Logging
import TestSupport
import Testing
@testable import Federation

/// A round's timeline survives the trip through a logfmt log line (how `bench round --timeline` reads it back), and is
/// written only at debug level.
struct RoundTimelineTests {
    func logger(level: Logger.Level, path: String) throws -> Logger {
        try LogSink(path: path).logger(label: "test", level: level)
    }

    @Test func roundTripsThroughALogfmtLineAtDebugLevel() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var t = RoundTimeline(round: 7, side: "client-3")
        let start = RoundTimeline.now()
        t.mark("received", at: start)
        t.mark("decoded", at: start + 250)
        t.mark("verified", at: start + 900)
        t.mark("verified", at: start + 1_400)
        #expect(t.times("verified") == [start + 900, start + 1_400])
        #expect(RoundTimeline.now() >= start)

        let debugLog = directory.file("debug.log"), infoLog = directory.file("info.log")
        t.log(to: try logger(level: .debug, path: debugLog))
        t.log(to: try logger(level: .info, path: infoLog))
        #expect(try String(contentsOfFile: infoLog, encoding: .utf8).isEmpty)
        let lines = try String(contentsOfFile: debugLog, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        let parsed = try #require(RoundTimeline(logfmtLine: lines[0]))
        #expect(parsed.round == 7)
        #expect(parsed.side == "client-3")
        for step in ["received", "decoded", "verified"] { #expect(parsed.times(step) == t.times(step)) }
        #expect(RoundTimeline(logfmtLine: "ts=x level=info msg=\"update sent\" round=7") == nil)
    }
}
