/// Geometry baseline: cosine similarity of client i's update with the aggregate (0 when either norm is 0).
public final class CosineEvaluator: Evaluator {
    public let name = "cosine"

    public init() {}

    public func evaluate(_ input: RoundInput) throws -> [Double] {
        try input.validate(for: name, requireUpdates: true)
        let aggregate = input.aggregate
        return try input.updates.map { update throws(AttributionError) -> Double in
            guard update.count == aggregate.count else {
                throw .inputMismatch(evaluator: name, field: "update parameters", expected: aggregate.count, found: update.count)
            }
            return Self.cosine(update, aggregate)
        }
    }

    /// cos(a, b) accumulated in Double; 0 if either vector has norm 0.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, normA = 0.0, normB = 0.0
        for i in 0..<min(a.count, b.count) {
            let x = Double(a[i]), y = Double(b[i])
            dot += x * y
            normA += x * x
            normB += y * y
        }
        guard normA > 0, normB > 0 else { return 0 }
        return dot / (normA.squareRoot() * normB.squareRoot())
    }
}
