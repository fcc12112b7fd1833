/// Elementwise max(0, x).
struct ReLU: Layer {
    let size: Int

    var inputSize: Int { size }
    var outputSize: Int { size }

    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        for i in 0..<batch * size { y[i] = max(x[i], 0) }
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int,
                  parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, alpha: Float, beta: Float,
                  dx: UnsafeMutablePointer<Float>?) {
        guard let dx else { return }
        for i in 0..<batch * size { dx[i] = y[i] > 0 ? dy[i] : 0 }
    }
}
