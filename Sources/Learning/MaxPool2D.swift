/// 2×2 max pooling with stride 2 over a (height, width, channels) activation; odd trailing rows/columns are dropped.
struct MaxPool2D: Layer {
    let height: Int, width: Int, channels: Int

    var outHeight: Int { height / 2 }
    var outWidth: Int { width / 2 }
    var inputSize: Int { height * width * channels }
    var outputSize: Int { outHeight * outWidth * channels }

    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let rowStride = width * channels
        for b in 0..<batch {
            let xb = x + b * inputSize, yb = y + b * outputSize
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    let p = xb + (2 * oy) * rowStride + (2 * ox) * channels
                    let q = yb + (oy * outWidth + ox) * channels
                    for c in 0..<channels {
                        q[c] = max(max(p[c], p[c + channels]), max(p[c + rowStride], p[c + rowStride + channels]))
                    }
                }
            }
        }
    }

    /// The gradient goes to the first of the four inputs equal to the maximum.
    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int,
                  parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, alpha: Float, beta: Float,
                  dx: UnsafeMutablePointer<Float>?) {
        guard let dx else { return }
        dx.update(repeating: 0, count: batch * inputSize)
        let rowStride = width * channels
        for b in 0..<batch {
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    let corner = b * inputSize + (2 * oy) * rowStride + (2 * ox) * channels
                    let out = b * outputSize + (oy * outWidth + ox) * channels
                    for c in 0..<channels {
                        let p = corner + c, top = y[out + c]
                        let target = x[p] == top ? p
                            : x[p + channels] == top ? p + channels
                            : x[p + rowStride] == top ? p + rowStride : p + rowStride + channels
                        dx[target] += dy[out + c]
                    }
                }
            }
        }
    }
}
