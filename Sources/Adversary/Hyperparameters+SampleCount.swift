import Wire

extension Hyperparameters {
    /// The sample count an update for these hyperparameters reports: shard size × local epochs. The coordinator accepts
    /// no other (FedAvg weights are never self-reported; PROTOCOL.md §2.2), and honest training reports exactly this.
    public func sampleCount(shardSize: Int) -> Int { shardSize * Int(epochs) }
}
