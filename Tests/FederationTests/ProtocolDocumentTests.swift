import Foundation
import Testing
@testable import Federation

/// docs/PROTOCOL.md §13 lists exactly the refusal codes the coordinator uses, each once.
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
}
