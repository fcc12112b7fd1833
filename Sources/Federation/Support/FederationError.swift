/// What went wrong while setting up or running a federation, with the value at fault.
public enum FederationError: Error, CustomStringConvertible, Equatable {
    case cannotWrite(path: String)
    case cannotWriteBecause(path: String, reason: String)
    /// A round's files could not be written even after retrying; the run stopped before it.
    case roundNotWritten(round: Int, reason: String)
    case cannotRead(path: String, reason: String)
    case unknownSetting(key: String, source: String)
    case invalidSetting(key: String, value: String, source: String, expected: String)
    case missingSetting(key: String)
    case badClientID(String)
    case noShard(client: String, index: Int, partitions: Int)
    case tooFewClients(registered: Int, required: Int, waitedSeconds: Double)
    case processFailed(name: String, status: Int32)
    case invalidSpec(String)
    /// The client's strategy cannot run on the federation's data (an attack's target class past the last one, a
    /// generator made for other images): every round would fail the same way.
    case strategyCannotRun(strategy: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotWrite(path): return "cannot write \(path)"
        case let .cannotWriteBecause(path, reason): return "cannot write \(path): \(reason)"
        case let .roundNotWritten(round, reason):
            return "round \(round) could not be written (\(reason)); the run stopped after round \(round - 1), resumable with --resume true"
        case let .cannotRead(path, reason): return "cannot read \(path): \(reason)"
        case let .unknownSetting(key, source): return "unknown setting '\(key)' in \(source)"
        case let .invalidSetting(key, value, source, expected):
            return "invalid value '\(value)' for '\(key)' (from \(source)): expected \(expected)"
        case let .missingSetting(key): return "missing required setting '\(key)'"
        case let .badClientID(id): return "bad client id '\(id)': expected client-N with N a shard index (e.g. client-0)"
        case let .noShard(client, index, partitions):
            return "\(client) has no data shard: index \(index) but the federation has \(partitions) partitions"
        case let .tooFewClients(registered, required, waited):
            return "only \(registered) of the \(required) required clients registered within \(Int(waited)) s"
        case let .processFailed(name, status): return "\(name) exited with status \(status)"
        case let .invalidSpec(reason): return "invalid federation spec: \(reason)"
        case let .strategyCannotRun(strategy, reason): return "strategy \(strategy) cannot run on this federation's data: \(reason)"
        }
    }
}

extension FederationError {
    var isUnwritableRound: Bool {
        if case .roundNotWritten = self { return true }
        return false
    }
}
