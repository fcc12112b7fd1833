/// One stage of a model. Layers hold only shapes; their parameters are a slice of the model's flat vector,
/// passed in on every call, and activations use a channels-last (height, width, channels) layout per sample.
protocol Layer: Sendable {
    /// Floats per sample going in and coming out.
    var inputSize: Int { get }
    var outputSize: Int { get }
    var parameterCount: Int { get }

    /// Fills this layer's parameter slice with its initial values.
    func initialize(_ parameters: UnsafeMutablePointer<Float>, rng: inout SeededGenerator)

    /// y[batch × outputSize] = f(x[batch × inputSize]; parameters).
    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>)

    /// Given dL/dy, sets gradient ← alpha·dL/dparameters + beta·gradient and, when `dx` is not nil, writes dL/dx.
    /// dx is computed before `gradient` is touched, so `gradient` may alias `parameters` (a fused SGD step:
    /// alpha = −learning rate, beta = 1).
    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int,
                  parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, alpha: Float, beta: Float,
                  dx: UnsafeMutablePointer<Float>?)
}

extension Layer {
    var parameterCount: Int { 0 }
    func initialize(_ parameters: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {}
}

/// Uniform initialisation in ±limit: He (limit √(6/fanIn)) before a ReLU, Glorot (√(6/(fanIn+fanOut))) otherwise.
func initializeUniform(_ weights: UnsafeMutablePointer<Float>, count: Int, limit: Float, rng: inout SeededGenerator) {
    for i in 0..<count { weights[i] = (2 * rng.uniformFloat() - 1) * limit }
}
