import Foundation
import Testing

/// `fedattr bench attack` on a small synthetic federation: it times honest training and each attack on the same round
/// and prints one line per strategy with its ratio to honest; a bad attack is refused before any work.
@Suite(.serialized) struct BenchAttackCommandTests {
    static let small = ["bench", "attack", "--dataset", "synthetic", "--synthetic-count", "1200", "--validation-size", "100",
                        "--public-size", "300", "--train-limit", "0", "--model", "mlp:16", "--repeats", "2", "--generator-epochs", "1"]

    @Test(.timeLimit(.minutes(3))) func timesEachAttackAgainstHonestTraining() throws {
        let result = try Tool.run(ProcessHarness.binary, Self.small + ["--attacks", "attribution-first(iterations=2;steps=2),scale(k=3)"],
                                  timeout: 150)
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n").map(String.init)
        func cpuMs(_ name: String) -> Double? {
            guard let line = lines.first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(name) }),
                  let range = line.range(of: #"([0-9.]+) ms cpu"#, options: .regularExpression) else { return nil }
            return Double(line[range].split(separator: " ")[0])
        }
        let honest = try #require(cpuMs("honest (baseline)"), "\(result.output)")
        let attack = try #require(cpuMs("attribution-first(iterations=2;steps=2)"), "\(result.output)")
        let scale = try #require(cpuMs("scale(k=3)"), "\(result.output)")
        #expect(honest > 0 && scale > 0)
        // The latent search (decodes, mixed-derivative passes) is work on top of the honest epoch it starts from.
        #expect(attack > honest, "\(result.output)")
        #expect(result.output.contains("x honest (cpu)") && result.output.contains("client-2 holds"))
    }

    @Test(.timeLimit(.minutes(4))) func anUnknownAttackIsRefusedWithTheValidNames() throws {
        let result = try Tool.run(ProcessHarness.binary, Self.small + ["--attacks", "scale,nonsense"], timeout: 50)
        #expect(result.status != 0)
        #expect(result.output.contains("nonsense") && result.output.contains("attribution-first"), "\(result.output)")
        #expect(!result.output.contains("honest (baseline)"), "nothing is timed after a refusal: \(result.output)")
    }
}
