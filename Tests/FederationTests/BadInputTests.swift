import Foundation
import PKI
import Testing
import Transport
import Wire
@testable import Federation

/// A registered client (client-1, over mutual TLS) answers round 1 with malformed bytes. Each must be refused as
/// `undecodable` with the wire error's text in the reason; the coordinator keeps going: round 1 completes with the honest
/// client's update, and in round 2 the same connection's correct update is accepted.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct BadInputTests {
    enum BadBytes: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case empty
        case shortGarbage
        case garbage
        case wrongMagic
        case unsupportedVersion
        case unknownMessageType
        case truncatedEnvelope
        case trailingBytes
        case badChecksum
        case tooFewParameters
        case tooManyParameters
        case nanInUpdate

        var testDescription: String { rawValue }

        /// The bytes to send in answer to `task`, and the WireError text the reason must contain.
        func make(_ task: TaskMessage, _ me: Identity) throws -> (bytes: [UInt8], reason: String) {
            let n = task.parameters.count
            let valid = WireCodec.encode(.update(try craftUpdate(for: task, signer: me)))
            switch self {
            case .empty:
                return ([], "truncated message: expected 28 bytes, got 0")
            case .shortGarbage:
                return (Array("hello, coordinator".utf8), "truncated message: expected 28 bytes, got 18")
            case .garbage:
                let bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
                return (bytes, "bad magic 0x0b30557a, expected 0x46444154")
            case .wrongMagic:
                var bytes = valid
                bytes[3] = UInt8(ascii: "X")
                return (bytes, "bad magic 0x46444158")
            case .unsupportedVersion:
                var bytes = valid
                bytes[4] = 1
                return (bytes, "unsupported protocol version 1")
            case .unknownMessageType:
                var bytes = valid
                bytes[6] = 9
                return (bytes, "unknown message type 9")
            case .truncatedEnvelope:
                return (Array(valid.dropLast(100)), "truncated message: expected \(valid.count) bytes, got \(valid.count - 100)")
            case .trailingBytes:
                return (valid + [1, 2, 3], "message is \(valid.count + 3) bytes but its header declares \(valid.count)")
            case .badChecksum:
                var bytes = valid
                bytes[bytes.count - 500] ^= 0x40  // inside the update tensor
                let stored = (0..<4).reduce(UInt32(0)) { $0 | UInt32(valid[24 + $1]) << (8 * UInt32($1)) }
                return (bytes, "CRC-32 mismatch: header says \(String(format: "0x%08x", stored))")
            case .tooFewParameters:
                let u = try craftUpdate(for: task, signer: me, delta: smallDelta(count: n - 5, seed: 1))
                return (WireCodec.encode(.update(u)), "tensor has \(n - 5) values, expected \(n)")
            case .tooManyParameters:
                let u = try craftUpdate(for: task, signer: me, delta: smallDelta(count: n + 1, seed: 1))
                return (WireCodec.encode(.update(u)), "tensor has \(n + 1) values, limit \(n)")
            case .nanInUpdate:
                var delta = smallDelta(count: n, seed: 1)
                delta[7] = .nan
                let u = try craftUpdate(for: task, signer: me, delta: delta)
                return (WireCodec.encode(.update(u)), "tensor value at index 7 is not finite")
            }
        }
    }

    @Test(arguments: BadBytes.allCases)
    func malformedUpdateIsUndecodableAndTheRunGoesOn(_ bad: BadBytes) throws {
        let h = try FederationHarness(name: "badinput", rounds: 2)
        defer { h.shutdown(); h.cleanUp() }
        let evil = try h.respondent(tlsAs: "client-1", registerAs: "client-1")
        let me = try h.identity("client-1")
        try h.start()

        let task1 = try evil.nextTask(within: 30)
        let (bytes, reason) = try bad.make(task1, me)
        let limits = DecodeLimits(maxParameters: task1.parameters.count, expectedParameters: task1.parameters.count)
        #expect(throws: WireError.self, "the coordinator's own limits refuse these bytes") { _ = try WireCodec.decode(bytes, limits: limits) }
        try evil.send(bytes)

        let task2 = try evil.nextTask(within: 30)
        #expect(task2.round == 2)
        let good = try craftUpdate(for: task2, signer: me)
        try evil.send(.update(good))

        let summary = try h.finish(within: 40)
        try expectRun(h, summary: summary,
                      rejections: [ExpectedRejection(round: 1, code: "undecodable", client: "client-1",
                                                     reasonContains: "undecodable message: " + reason)],
                      acceptedExtra: [2: ["client-1": good.update]])
        // The ledger chains the digest of exactly the bytes that were refused.
        #expect(try h.ledgerRefusals()[1]?.map(\.messageDigest) == [Digest.hex(Digest.sha256(bytes))])
    }

    /// A well-formed message of a type clients never send (a task) is refused as unexpected_type, not undecodable.
    @Test func wellFormedMessageOfTheWrongTypeIsUnexpectedType() throws {
        let h = try FederationHarness(name: "badtype", rounds: 1)
        defer { h.shutdown(); h.cleanUp() }
        let evil = try h.respondent(tlsAs: "client-1", registerAs: "client-1")
        try h.start()

        let task = try evil.nextTask(within: 30)
        try evil.send(.task(task))

        let summary = try h.finish(within: 40)
        try expectRun(h, summary: summary,
                      rejections: [ExpectedRejection(round: 1, code: "unexpected_type", client: "client-1",
                                                     reasonContains: "unexpected message type task from a client")])
    }
}
