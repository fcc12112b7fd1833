import Foundation
import Logging
import Testing
@testable import Federation

/// A run directory that already holds a run loses nothing to a new coordinator started there: without --resume the
/// earlier run is moved aside before anything is written, and a --resume with a checkpoint from another run is refused
/// before any file is cut.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct RunDirectoryReuseTests {
    static let runFiles = ["rounds.jsonl", "attribution.jsonl", "ledger.jsonl", "ledger-seals.jsonl", "detections.jsonl",
                           "summary.json", "checkpoint.safetensors"]

    /// A small synthetic federation into `out`.
    func flags(out: String, extra: [String: String] = [:]) -> [String: String] {
        ["clients": "3", "rounds": "3", "dataset": "synthetic", "synthetic-count": "900", "validation-size": "100",
         "public-size": "100", "test-size": "200", "model": "mlp:16", "out": out, "listen": "inproc://reuse",
         "round-deadline": "30", "pki-dir": out + "/pki"].merging(extra) { $1 }
    }

    static func contents(_ directory: String) -> [String: Data] {
        Dictionary(uniqueKeysWithValues: runFiles.compactMap { name in
            FileManager.default.contents(atPath: directory + "/" + name).map { (name, $0) }
        })
    }

    /// A coordinator over inproc:// using the PKI the in-process run left in `out`; no client ever connects to it, so
    /// it gives up registering after 0.3 s.
    func lonelyCoordinator(out: String, resume: Bool) throws -> Coordinator {
        let listen = "inproc://reuse-\(UInt64.random(in: 0...UInt64.max))"
        let settings = try Settings(flags: flags(out: out, extra: ["resume": "\(resume)", "listen": listen, "registration-timeout": "0.3"]),
                                    environment: [:])
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return try Coordinator(config: try CoordinatorConfig(settings: settings), logger: logger)
    }

    @Test func aNewRunMovesTheEarlierRunAsideEvenWhenItNeverStarts() throws {
        let out = ProcessHarness.temporaryDirectory("reuse") + "/run"
        try ProcessHarness.runInProcess(flags(out: out))
        let first = Self.contents(out)
        #expect(first.count == Self.runFiles.count)

        // No client registers: the coordinator gives up, and the earlier run is intact in replaced-…/.
        let coordinator = try lonelyCoordinator(out: out, resume: false)
        #expect(throws: (any Error).self) { _ = try coordinator.run() }
        coordinator.stop()
        let aside = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix("replaced-") }
        #expect(aside.count == 1)
        #expect(Self.contents(out + "/" + aside[0]) == first, "every file of the earlier run, byte for byte")
        #expect(FileManager.default.fileExists(atPath: out + "/" + aside[0] + "/ca.crt"))
        #expect(!FileManager.default.fileExists(atPath: out + "/summary.json"))

        // A second complete run in the same directory: the first one is still there, the new one verifies on its own.
        try ProcessHarness.runInProcess(flags(out: out, extra: ["seed": "2"]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix("replaced-") } == aside,
                "the aborted start left only empty files, which are not moved again")
        #expect(ProcessHarness.jsonLines(out + "/rounds.jsonl").count == 3)
        _ = try AuditVerifier.verify(directory: out, caFile: out + "/pki/ca.crt")
    }

    @Test func aResumeWithAnotherRunsCheckpointIsRefusedWithEveryFileUnchanged() throws {
        let a = ProcessHarness.temporaryDirectory("resume-a") + "/run"
        let b = ProcessHarness.temporaryDirectory("resume-b") + "/run"
        try ProcessHarness.runInProcess(flags(out: a))
        try ProcessHarness.runInProcess(flags(out: b))
        // b's checkpoint after its first round, in a run of three: the same settings, another ledger.
        var checkpoint = try RunCheckpoint.read(directory: b)
        let bLedger = ProcessHarness.jsonLines(b + "/ledger.jsonl")
        checkpoint.round = 1
        checkpoint.ledgerHead = try #require(bLedger.first?["digest"] as? String)
        try checkpoint.write(directory: a)
        let before = Self.contents(a)

        #expect {
            _ = try lonelyCoordinator(out: a, resume: true)
        } throws: { error in
            "\(error)".contains("the checkpoint is not this run's; nothing was changed")
        }
        #expect(Self.contents(a) == before, "no file was cut")
    }

    @Test func aCheckpointWithANonFiniteParameterIsRefused() throws {
        let out = ProcessHarness.temporaryDirectory("nan-checkpoint") + "/run"
        try ProcessHarness.runInProcess(flags(out: out))
        var checkpoint = try RunCheckpoint.read(directory: out)
        checkpoint.parameters[7] = .nan
        try checkpoint.write(directory: out)
        #expect {
            _ = try RunCheckpoint.read(directory: out)
        } throws: { error in
            "\(error)".contains("parameter 7 is nan, not a finite number")
        }
    }
}
