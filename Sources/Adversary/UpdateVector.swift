/// Element-wise helpers on flat update vectors, shared by the strategies.
public enum UpdateVector {
    /// `after − before`.
    public static func difference(_ after: [Float], _ before: [Float]) -> [Float] {
        precondition(after.count == before.count, "vector lengths differ: \(after.count) vs \(before.count)")
        return zip(after, before).map { $0 - $1 }
    }

    public static func norm(_ v: [Float]) -> Double {
        var s = 0.0
        for x in v { s += Double(x) * Double(x) }
        return s.squareRoot()
    }

    /// Cosine similarity; 0 when either vector is zero.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "vector lengths differ: \(a.count) vs \(b.count)")
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices {
            dot += Double(a[i]) * Double(b[i])
            na += Double(a[i]) * Double(a[i])
            nb += Double(b[i]) * Double(b[i])
        }
        return na > 0 && nb > 0 ? dot / (na * nb).squareRoot() : 0
    }

    public static func scaled(_ v: [Float], by k: Float) -> [Float] { v.map { $0 * k } }
}
