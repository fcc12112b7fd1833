/// Elementwise logistic function 1 / (1 + e^−x): the pixel intensities of the generator's decoder.
struct Sigmoid: Layer {
    let size: Int

    var inputSize: Int { size }
    var outputSize: Int { size }

    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        for i in 0..<(batch * size) { y[i] = Sigmoid.value(x[i]) }
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int,
                  parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, alpha: Float, beta: Float,
                  dx: UnsafeMutablePointer<Float>?) {
        guard let dx else { return }
        for i in 0..<(batch * size) { dx[i] = dy[i] * y[i] * (1 - y[i]) }
    }

    /// Stable for large |x|: never evaluates e^x for positive x.
    @inline(__always) static func value(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + _expf(-x)) : { let e = _expf(x); return e / (1 + e) }()
    }
}
