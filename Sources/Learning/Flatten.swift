/// Turns a (height, width, channels) activation into a vector; with channels-last storage this is a plain copy.
struct Flatten: Layer {
    let size: Int

    var inputSize: Int { size }
    var outputSize: Int { size }

    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        y.update(from: x, count: batch * size)
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int,
                  parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, alpha: Float, beta: Float,
                  dx: UnsafeMutablePointer<Float>?) {
        dx?.update(from: dy, count: batch * size)
    }
}
