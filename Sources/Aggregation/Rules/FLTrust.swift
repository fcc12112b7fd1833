import Learning

/// FLTrust (Cao et al., NDSS 2021): the coordinator trains its own update g₀ on a small root dataset each round;
/// each client's trust score is ReLU(cos(u_i, g₀)), each update is rescaled to ‖g₀‖, and the aggregate is the
/// trust-weighted mean of the rescaled updates (zero when every trust score is 0). Without a root update the
/// coordinate-wise median aggregates instead.
public struct FLTrust: AggregationRule {
    /// Samples of the root dataset, carved from the training pool.
    public let rootSize: Int
    public let training: RootTraining?

    public var name: String { "fltrust(root=\(rootSize))" }
    public var fallback: (any AggregationRule)? { CoordinateMedian() }

    public init(rootSize: Int, training: RootTraining? = nil) {
        self.rootSize = rootSize
        self.training = training
    }

    public func prepare(_ input: inout AggregationInput) {
        if let training { input.reference = training.update(base: input.base, round: input.round) }
    }

    public func unavailable(_ input: AggregationInput) -> String? {
        guard let g0 = input.reference else { return "\(name) has no root update this round" }
        return Vector.norm(g0) > 0 ? nil : "\(name): the root update is zero"
    }

    /// Trust scores and each update's factor to the root update's norm (‖g₀‖/‖u_i‖; 1 for a zero update), from two
    /// passes over each update.
    func trustAndFactors(_ input: AggregationInput) -> (scores: [Double], factors: [Double]) {
        let g0 = input.reference!
        let n0 = Vector.norm(g0)
        var scores: [Double] = [], factors: [Double] = []
        for u in input.updates {
            let n = Vector.norm(u)
            scores.append(n > 0 && n0 > 0 ? max(0, Vector.dot(u, g0) / (n * n0)) : 0)
            factors.append(n > 0 ? n0 / n : 1)
        }
        return (scores, factors)
    }

    /// Trust scores and the updates rescaled to the root update's norm.
    func trust(_ input: AggregationInput) -> (scores: [Double], rescaled: [[Float]]) {
        let (scores, factors) = trustAndFactors(input)
        return (scores, zip(input.updates, factors).map { u, f in Vector.scaled(u, Float(f)) })
    }

    public func combine(_ input: AggregationInput) -> AggregationResult {
        let (scores, factors) = trustAndFactors(input)
        let total = scores.reduce(0, +)
        let weights = scores.map { total > 0 ? $0 / total : 0 }
        let dropped = input.updates.indices.filter { scores[$0] == 0 }.map {
            AggregationDecision.Dropped(client: input.clients[$0], reason: "trust 0")
        }
        // Σ w_i·(f_i·u_i) without materialising the rescaled updates.
        var aggregate = [Float](repeating: 0, count: input.dimension)
        for i in input.updates.indices where weights[i] > 0 {
            Vector.addScaled(&aggregate, input.updates[i], Float(weights[i] * factors[i]))
        }
        return AggregationResult(aggregate: aggregate,
                                 decision: AggregationDecision(rule: name, clients: input.clients, weights: weights,
                                                               dropped: dropped, scores: ["trust": scores]))
    }

    public func weightedMean(_ input: AggregationInput) -> WeightedMean? {
        guard unavailable(input) == nil else { return nil }
        let (scores, rescaled) = trust(input)
        return WeightedMean(weights: scores.map(Float.init), vectors: rescaled)
    }
}

/// How the coordinator trains FLTrust's root update: the clients' local-training recipe on the root dataset.
public struct RootTraining: Sendable {
    public var data: Dataset
    public var spec: ModelSpec
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: SGD
    public var seed: UInt64

    public init(data: Dataset, spec: ModelSpec, epochs: Int, batchSize: Int, optimizer: SGD, seed: UInt64) {
        self.data = data
        self.spec = spec
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.seed = seed
    }

    /// Trained − base after local training from `base` on the root data.
    public func update(base: [Float], round: Int) -> [Float] {
        var model = Model(spec: spec, parameters: base)
        _ = Trainer.train(&model, on: data, epochs: epochs, batchSize: batchSize, optimizer: optimizer,
                          seed: seed &+ UInt64(round) &* 0x9E37_79B9)
        var out = model.parameters
        for j in out.indices { out[j] -= base[j] }
        return out
    }
}
