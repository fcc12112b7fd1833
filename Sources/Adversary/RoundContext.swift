import Learning
import Wire

/// What a strategy knows when a task arrives: the task itself, the model it describes, the client's own shard and
/// identity, and the global models this client has received before (oldest first, at most `historyLimit`).
public struct RoundContext: Sendable {
    public var task: TaskMessage
    public var modelSpec: ModelSpec
    public var shard: Dataset
    public var clientIndex: Int
    public var clientID: String
    /// Global models of earlier rounds, as received; the current one is `task.parameters`.
    public var history: [[Float]]

    /// How many earlier global models a client keeps for its strategy.
    public static let historyLimit = 4

    public init(task: TaskMessage, modelSpec: ModelSpec, shard: Dataset, clientIndex: Int, clientID: String,
                history: [[Float]] = []) {
        self.task = task
        self.modelSpec = modelSpec
        self.shard = shard
        self.clientIndex = clientIndex
        self.clientID = clientID
        self.history = history
    }

    /// The shard size times the task's epochs: the sample count the coordinator checks.
    public var honestSampleCount: Int { task.hyperparameters.sampleCount(shardSize: shard.count) }

    /// The shuffling seed honest training uses for this client in this round.
    public var trainingSeed: UInt64 { task.hyperparameters.seed &+ UInt64(clientIndex) &* 0x2545_F491 }
}
