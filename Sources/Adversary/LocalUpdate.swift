/// A client's contribution to one round, plus what the strategy did to make it (logged in that client's own log).
public struct LocalUpdate: Sendable {
    public var delta: [Float]
    /// Samples trained on, as the coordinator expects them: shard size × epochs. Never inflated by an attack.
    public var sampleCount: Int
    public var trainLoss: Double
    /// Key/value pairs for the client's log line of this round (empty for honest training).
    public var report: [String: String]

    public init(delta: [Float], sampleCount: Int, trainLoss: Double, report: [String: String] = [:]) {
        self.delta = delta
        self.sampleCount = sampleCount
        self.trainLoss = trainLoss
        self.report = report
    }
}
