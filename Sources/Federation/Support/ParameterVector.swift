/// Element-wise arithmetic on flat parameter vectors: a model stepped by an update, and an update from two models.
enum ParameterVector {
    /// `base + delta`, e.g. the global model after an aggregate.
    static func adding(_ delta: [Float], to base: [Float]) -> [Float] {
        precondition(delta.count == base.count, "vector lengths differ: \(delta.count) vs \(base.count)")
        return zip(base, delta).map { $0 + $1 }
    }

    /// `after − before`, e.g. a client's update.
    static func difference(_ after: [Float], _ before: [Float]) -> [Float] {
        precondition(after.count == before.count, "vector lengths differ: \(after.count) vs \(before.count)")
        return zip(after, before).map { $0 - $1 }
    }
}
