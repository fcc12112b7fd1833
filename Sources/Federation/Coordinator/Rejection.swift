import Wire

/// Why the coordinator refused a client's message; logged with the pipe and, where known, the client.
public enum Rejection: Error, CustomStringConvertible, Equatable {
    case undecodable(String)
    case unexpectedType(String)
    case staleRound(got: UInt64, current: UInt64)
    case futureRound(got: UInt64, current: UInt64)
    case wrongNonce(client: String)
    case badCertificate(client: String, reason: String)
    case identityMismatch(claimed: String, certificate: String)
    case badSignature(client: String)
    case certificateChanged(client: String, pinned: String, presented: String)
    case pipeBoundToOtherIdentity(pipe: UInt32, bound: String, claimed: String)
    case identityOnOtherPipe(client: String, pipe: UInt32)
    case tlsIdentityMismatch(client: String, tls: String, pipe: UInt32)
    case tlsPeerUnknown(pipe: UInt32, client: String)
    case wrongBaseModel(client: String)
    case duplicate(client: String)
    case zeroSamples(client: String)
    case wrongSampleCount(client: String, claimed: UInt32, expected: Int)
    case noShard(client: String)

    /// A short machine-readable tag for logs and rounds.jsonl.
    public var code: String {
        switch self {
        case .undecodable: return "undecodable"
        case .unexpectedType: return "unexpected_type"
        case .staleRound: return "stale_round"
        case .futureRound: return "future_round"
        case .wrongNonce: return "wrong_nonce"
        case .badCertificate: return "bad_certificate"
        case .identityMismatch: return "identity_mismatch"
        case .badSignature: return "bad_signature"
        case .certificateChanged: return "certificate_changed"
        case .pipeBoundToOtherIdentity: return "pipe_bound_to_other_identity"
        case .identityOnOtherPipe: return "identity_on_other_pipe"
        case .tlsIdentityMismatch: return "tls_identity_mismatch"
        case .tlsPeerUnknown: return "tls_peer_unknown"
        case .wrongBaseModel: return "wrong_base_model"
        case .duplicate: return "duplicate"
        case .zeroSamples: return "zero_samples"
        case .wrongSampleCount: return "wrong_sample_count"
        case .noShard: return "no_shard"
        }
    }

    public var description: String {
        switch self {
        case let .undecodable(reason): return "undecodable message: \(reason)"
        case let .unexpectedType(type): return "unexpected message type \(type) from a client"
        case let .staleRound(got, current): return "update for round \(got) arrived in round \(current)"
        case let .futureRound(got, current): return "update for future round \(got) arrived in round \(current)"
        case let .wrongNonce(client): return "\(client) answered with a nonce that is not this round's (replay?)"
        case let .badCertificate(client, reason): return "certificate of \(client) refused: \(reason)"
        case let .identityMismatch(claimed, cert): return "message claims client '\(claimed)' but its certificate is for '\(cert)'"
        case let .badSignature(client): return "signature of \(client) does not verify against its certificate"
        case let .certificateChanged(client, pinned, presented):
            return "\(client) presented certificate \(presented.prefix(16))… but registered with \(pinned.prefix(16))… in this run"
        case let .pipeBoundToOtherIdentity(pipe, bound, claimed):
            return "pipe \(pipe) belongs to \(bound) but sent a message as \(claimed)"
        case let .identityOnOtherPipe(client, pipe): return "\(client) is already connected on pipe \(pipe)"
        case let .tlsIdentityMismatch(client, tls, pipe):
            return "message signed by \(client) arrived on pipe \(pipe), whose TLS certificate is \(tls)'s (relayed?)"
        case let .tlsPeerUnknown(pipe, client): return "pipe \(pipe) sending as \(client) has no verified TLS certificate on record"
        case let .wrongBaseModel(client): return "\(client) trained from a model other than this round's global model"
        case let .duplicate(client): return "second update from \(client) in the same round"
        case let .zeroSamples(client): return "\(client) reported zero training samples"
        case let .wrongSampleCount(client, claimed, expected):
            return "\(client) claims \(claimed) samples but its shard gives \(expected) (shard size × local epochs)"
        case let .noShard(client): return "\(client) has no shard in this federation's partition"
        }
    }
}
