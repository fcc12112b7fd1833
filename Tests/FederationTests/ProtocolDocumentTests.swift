import Foundation
import Testing
@testable import Federation
import Wire

/// docs/PROTOCOL.md says what the code does: §13 lists exactly the refusal codes the coordinator uses, each once; the
/// version and the receive limits are the codec's wherever the documents state them.
@Suite struct ProtocolDocumentTests {
    /// One refusal of every kind (the `code` switch of `Rejection` is exhaustive; add a new case here too).
    static let everyRejection: [Rejection] = [
        .undecodable("x"), .unexpectedType("x"), .staleRound(got: 1, current: 2), .futureRound(got: 3, current: 2),
        .wrongNonce(client: "c"), .badCertificate(client: "c", reason: "r"), .identityMismatch(claimed: "c", certificate: "d"),
        .badSignature(client: "c"), .certificateChanged(client: "c", pinned: "p", presented: "q"),
        .pipeBoundToOtherIdentity(pipe: 1, bound: "c", claimed: "d"), .identityOnOtherPipe(client: "c", pipe: 1),
        .tlsIdentityMismatch(client: "c", tls: "d", pipe: 1), .tlsPeerUnknown(pipe: 1, client: "c"), .wrongBaseModel(client: "c"),
        .duplicate(client: "c"), .zeroSamples(client: "c"), .wrongSampleCount(client: "c", claimed: 1, expected: 2), .noShard(client: "c"),
    ]

    @Test func theRejectionCodesSectionListsEveryCodeTheCoordinatorUses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)
        let start = try #require(text.range(of: "## 13. Rejection codes"))
        let section = text[start.upperBound...].components(separatedBy: "\n## ").first ?? ""
        let documented = section.split(separator: "\n").compactMap { line in line.firstMatch(of: /^\| `([a-z_]+)` \|/).map { String($0.1) } }
        let codes = Self.everyRejection.map(\.code)
        #expect(Set(codes).count == codes.count, "one code per kind of refusal")
        #expect(documented == codes, "PROTOCOL.md §13 rows, in the order of `Rejection`")
    }

    @Test func theVersionAndTheReceiveLimitsAreTheCodecs() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let protocolText = try String(contentsOf: root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)
        let architecture = try String(contentsOf: root.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8)
        let version = Int(WireCodec.version)
        #expect(protocolText.contains("| 4      | 2    | version      | u16, `\(version)` |"), "§3's header table")
        #expect(protocolText.contains("magic; version = \(version);"), "§5's decoder checks")
        #expect(protocolText.hasPrefix("# fedattr wire protocol, version \(version)\n"))
        // Both limits are 4·P plus a constant; each constant the documents give must be the codec's.
        let update = DecodeLimits.maxUpdateMessageBytes(parameters: 0), task = DecodeLimits.maxTaskMessageBytes(parameters: 0)
        #expect(DecodeLimits.maxUpdateMessageBytes(parameters: 1000) == 4000 + update)
        #expect(DecodeLimits.maxTaskMessageBytes(parameters: 1000) == 4000 + task)
        let grouped = { (n: Int) -> String in
            var digits = String(n), out = ""
            while digits.count > 3 { out = "," + digits.suffix(3) + out; digits.removeLast(3) }
            return digits + out
        }
        for (name, text) in [("PROTOCOL.md", protocolText), ("ARCHITECTURE.md", architecture)] {
            let constants = text.matches(of: /4\s?·\s?(?:P|parameters) \+ ([0-9,]+)/).map { String($0.1) }
            #expect(!constants.isEmpty, "\(name) states the receive limits")
            for constant in constants {
                #expect(constant == grouped(update) || constant == grouped(task),
                        "\(name) gives 4·P + \(constant); the codec's limits are 4·P + \(grouped(update)) (update) and 4·P + \(grouped(task)) (task)")
            }
        }
    }
}
