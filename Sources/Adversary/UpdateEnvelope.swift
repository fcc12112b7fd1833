/// Keeps an attacked update inside what the attacker's own honest update looks like: the update is
/// honest + s·injection with the largest s in [0, 1] whose cosine to the honest update is at least `minimumCosine`
/// and whose cosine to the last global movement is no lower than the honest update's, then scaled down to at most
/// `normRatio` times the honest norm (or, with `fillsNorm`, scaled to exactly that norm: the cosines do not change).
public struct UpdateEnvelope: Sendable {
    public var normRatio: Double
    public var minimumCosine: Double
    public var fillsNorm: Bool

    public init(normRatio: Double, minimumCosine: Double, fillsNorm: Bool = false) {
        self.normRatio = normRatio
        self.minimumCosine = minimumCosine
        self.fillsNorm = fillsNorm
    }

    public func fit(honest: [Float], injection: [Float], movement: [Float]?) -> (delta: [Float], scale: Double) {
        precondition(honest.count == injection.count, "update lengths differ")
        func combined(_ s: Double) -> [Float] { zip(honest, injection).map { $0 + Float(s) * $1 } }
        let honestMovement = movement.map { UpdateVector.cosine(honest, $0) }
        func inside(_ d: [Float]) -> Bool {
            guard UpdateVector.cosine(d, honest) >= minimumCosine else { return false }
            if let movement, let honestMovement, UpdateVector.cosine(d, movement) < honestMovement - 1e-9 { return false }
            return true
        }
        var scale = 1.0
        if !inside(combined(1)) {
            var low = 0.0, high = 1.0
            for _ in 0..<30 {
                let mid = (low + high) / 2
                if inside(combined(mid)) { low = mid } else { high = mid }
            }
            scale = low
        }
        var delta = combined(scale)
        let limit = normRatio * UpdateVector.norm(honest), norm = UpdateVector.norm(delta)
        if norm > 0, norm > limit || fillsNorm { delta = UpdateVector.scaled(delta, by: Float(limit / norm)) }
        return (delta, scale)
    }
}
