/// Adam (Kingma & Ba, 2015) over a flat parameter vector, with its moment estimates and step count.
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    private(set) var m: [Float]
    private(set) var v: [Float]
    public private(set) var steps = 0

    public init(count: Int, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
    }

    /// p ← p − lr · m̂ / (√v̂ + ε) with bias-corrected first and second moments of `gradient`.
    public mutating func step(_ parameters: inout [Float], gradient: [Float]) {
        precondition(parameters.count == m.count && gradient.count == m.count, "Adam expects \(m.count) values")
        parameters.withUnsafeMutableBufferPointer { p in gradient.withUnsafeBufferPointer { g in
            step(p.baseAddress!, gradient: g.baseAddress!)
        } }
    }

    mutating func step(_ p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>) {
        steps += 1
        let c1 = 1 - Float(_pow(Double(beta1), Double(steps))), c2 = 1 - Float(_pow(Double(beta2), Double(steps)))
        let (b1, b2, lr, eps) = (beta1, beta2, learningRate, epsilon)
        m.withUnsafeMutableBufferPointer { m in v.withUnsafeMutableBufferPointer { v in
            for i in 0..<m.count {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                p[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
            }
        } }
    }
}
