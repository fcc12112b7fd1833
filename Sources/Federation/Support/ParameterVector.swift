/// Element-wise arithmetic on flat parameter vectors: a model stepped by an update. (An update from two models is
/// `Adversary.UpdateVector.difference`, where the strategies compute it.)
enum ParameterVector {
    /// `base + delta`, e.g. the global model after an aggregate.
    static func adding(_ delta: [Float], to base: [Float]) -> [Float] {
        precondition(delta.count == base.count, "vector lengths differ: \(delta.count) vs \(base.count)")
        return zip(base, delta).map { $0 + $1 }
    }
}
