import Foundation
import Logging
import Testing
@testable import Federation

/// `fedattr watch DIR` (following, not --once) on a finished run: an intact one is shown round by round, a damaged one
/// is an error naming the bad line rather than an empty screen.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct WatchCommandTests {
    static func watch(_ directory: String, in logs: String) throws -> (status: Int32?, output: String) {
        let name = "watch-\(UUID().uuidString.prefix(6))"
        let process = try ProcessHarness.start(["watch", directory, "--interval", "0.1"], name: name, logDirectory: logs)
        let status = ProcessHarness.wait(process, timeout: 60)
        return (status, ProcessHarness.read("\(logs)/\(name).stdout") + ProcessHarness.read("\(logs)/\(name).stderr"))
    }

    @Test func aFinishedRunIsShownAndADamagedOneIsAnError() throws {
        let logs = ProcessHarness.temporaryDirectory("watch")
        let out = logs + "/run"
        var flags = ["clients": "3", "rounds": "2", "dataset": "synthetic", "synthetic-count": "900", "validation-size": "100",
                     "public-size": "100", "test-size": "200", "model": "mlp:16", "out": out, "listen": "inproc://watch"]
        flags["evaluators"] = "marginal,shapley-exact"
        var config = try CoordinatorConfig(settings: Settings(flags: flags, environment: [:]))
        config.printsProgress = false
        var logger = Logger(label: "test")
        logger.logLevel = .error
        _ = try InProcessCluster.run(config: config, logger: logger)

        let intact = try Self.watch(out, in: logs)
        #expect(intact.status == 0, "\(intact.output)")
        #expect(intact.output.contains("round 1  clients 3/3") && intact.output.contains("round 2  clients 3/3"), "\(intact.output)")

        let attribution = out + "/attribution.jsonl"
        var lines = ProcessHarness.read(attribution).split(separator: "\n").map(String.init)
        lines[1] = "{garbage"
        try (lines.joined(separator: "\n") + "\n").write(toFile: attribution, atomically: true, encoding: .utf8)
        let damaged = try Self.watch(out, in: logs)
        #expect(damaged.status == 1, "\(damaged.output)")
        #expect(damaged.output.contains("line 2"), "\(damaged.output)")
    }
}
