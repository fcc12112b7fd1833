import Foundation
import Learning
import Testing
@testable import Federation

/// Command lines an audit found mishandled, run through the real binary: what each now gets.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CommandLineInputTests {
    static let small = ["--dataset", "synthetic", "--clients", "2", "--rounds", "1", "--synthetic-count", "600",
                        "--validation-size", "100", "--public-size", "100", "--test-size", "200"]

    static func run(_ args: [String], in directory: String, environment: [String: String?] = [:]) throws -> (status: Int32?, output: String) {
        let name = "cli-\(UUID().uuidString.prefix(6))"
        let process = try ProcessHarness.start(args, name: name, logDirectory: directory, workingDirectory: directory,
                                               environment: environment)
        let status = ProcessHarness.wait(process, timeout: 120)
        return (status, ProcessHarness.read("\(directory)/\(name).stdout") + ProcessHarness.read("\(directory)/\(name).stderr"))
    }

    /// Foundation 6.3's NSString.deletingLastPathComponent traps on a one-character name: `--out r` crashed while
    /// making r/pki.
    @Test func aOneCharacterRelativeOutputDirectoryWorks() throws {
        let directory = ProcessHarness.temporaryDirectory("one-char")
        let result = try Self.run(["simulate"] + Self.small + ["--out", "r"], in: directory)
        #expect(result.status == 0, "\(result.output)")
        #expect(FileManager.default.fileExists(atPath: directory + "/r/summary.json"))
        #expect(FileManager.default.fileExists(atPath: directory + "/r/pki/ca.crt"))
    }

    /// Debian's OpenBLAS falls back to slow generic kernels on CPUs it does not know: fedattr restarts itself with the
    /// kernels the CPU supports and says so in its log; a kernel the environment names is kept.
    @Test func openBLASKernelsAreChosenAtStartUnlessTheEnvironmentNamesThem() throws {
        let directory = ProcessHarness.temporaryDirectory("blas-core")
        let clean: [String: String?] = ["OPENBLAS_CORETYPE": nil, OpenBLASKernel.markerVariable: nil]
        let auto = try Self.run(["simulate"] + Self.small + ["--out", "a"], in: directory, environment: clean)
        #expect(auto.status == 0, "\(auto.output)")
        let line = try #require(auto.output.split(separator: "\n").first { $0.contains("msg=\"OpenBLAS kernels\"") }, "\(auto.output)")
        // The marker a restarted process carries is not reported as a misspelt setting.
        #expect(!auto.output.contains("unknown setting in the environment"), "\(auto.output)")
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil {
            // This test process loaded OpenBLAS with the same (clean) environment: its choice is OpenBLAS's own.
            let own = BLASThreads.coreName
            let flags = OpenBLASKernel.cpuFlags(cpuinfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
            if let better = OpenBLASKernel.preferredCore(current: own, environment: [:], cpuFlags: flags) {
                #expect(line.contains("core=\"\(better) (chosen by fedattr"), "\(line)")
            } else {
                #expect(line.contains("core=\(own)") && !line.contains("chosen"), "\(line)")
            }
        }
        let kept = try Self.run(["simulate"] + Self.small + ["--out", "k"], in: directory,
                                environment: ["OPENBLAS_CORETYPE": "Prescott", OpenBLASKernel.markerVariable: nil])
        #expect(kept.status == 0, "\(kept.output)")
        #expect(kept.output.contains("core=\"Prescott (OPENBLAS_CORETYPE=Prescott)\""), "\(kept.output)")
    }

    /// Negative numbers are values, not flags; pki init's counts are bounded and its two modes exclusive.
    @Test func badNumbersAndContradictoryFlagsAreNamed() throws {
        let directory = ProcessHarness.temporaryDirectory("numbers")
        let cases: [([String], String)] = [
            (["simulate"] + Self.small + ["--rounds", "-1", "--out", "n"], "invalid value '-1' for 'rounds' (from flag): expected an integer in 1...1000000"),
            (["simulate"] + Self.small + ["--out", ""], "invalid value '' for 'out' (from flag): expected a directory path"),
            (["pki", "init", "--dir", "p", "--clients", "100000"], "--clients must be in 1...10000"),
            (["experiment"] + Self.small + ["--robust", "foo", "--out", "x"], "--robust: 'foo' is not an evaluator (marginal, loo,"),
            (["pki", "init", "--dir", "p", "--force", "--keep-existing"], "--force replaces the CA and --keep-existing keeps it"),
            (["pki", "add-client", "--dir", "p", "--id", "foo"], "--id must be client-N with N the client's shard index (0, 1, 2, …), not 'foo'"),
        ]
        for (args, message) in cases {
            let result = try Self.run(args, in: directory)
            #expect(result.status != 0 && result.output.contains(message), "\(args): \(result.output)")
        }
    }

    /// The default --attacker (client-2) is checked only when a condition has the attacker attack.
    @Test func anExperimentWithoutAttacksDoesNotNeedTheAttacker() throws {
        let directory = ProcessHarness.temporaryDirectory("no-attacker")
        let honest = try Self.run(["experiment"] + Self.small + ["--seeds", "1", "--conditions", "honest", "--out", "e"], in: directory)
        #expect(honest.status == 0, "\(honest.output)")
        let attacked = try Self.run(["experiment"] + Self.small + ["--seeds", "1", "--conditions", "honest,sign-flip", "--out", "f"], in: directory)
        #expect(attacked.status != 0)
        #expect(attacked.output.contains("--attacker client-2 is not one of client-0…client-1"), "\(attacked.output)")
        let none = try Self.run(["experiment"] + Self.small + ["--conditions", " , ", "--out", "g"], in: directory)
        #expect(none.output.contains("--conditions names no condition"), "\(none.output)")
    }
}
