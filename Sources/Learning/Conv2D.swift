/// 2-D convolution, stride 1, no padding, over (height, width, channels) inputs, computed as im2col + one GEMM.
/// Parameters: W ((kernel·kernel·channels) × filters, row-major; row index (ky·kernel + kx)·channels + c), then b (filters).
struct Conv2D: Layer {
    let height: Int, width: Int, channels: Int
    let kernel: Int, filters: Int

    var outHeight: Int { height - kernel + 1 }
    var outWidth: Int { width - kernel + 1 }
    var patchSize: Int { kernel * kernel * channels }
    var inputSize: Int { height * width * channels }
    var outputSize: Int { outHeight * outWidth * filters }
    var parameterCount: Int { patchSize * filters + filters }

    func initialize(_ parameters: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        initializeUniform(parameters, count: patchSize * filters, limit: (6 / Float(patchSize)).squareRoot(), rng: &rng)
        (parameters + patchSize * filters).initialize(repeating: 0, count: filters)
    }

    /// columns[(b, oy, ox)][patch] = x[b][oy + ky][ox + kx][c]; each (row, ky) copies kernel·channels contiguous floats.
    func im2col(_ x: UnsafePointer<Float>, batch: Int, into columns: UnsafeMutablePointer<Float>) {
        let run = kernel * channels, rowStride = width * channels
        var row = columns
        for b in 0..<batch {
            let xb = x + b * inputSize
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    for ky in 0..<kernel {
                        (row + ky * run).update(from: xb + (oy + ky) * rowStride + ox * channels, count: run)
                    }
                    row += patchSize
                }
            }
        }
    }

    /// The adjoint of im2col: dx[b][oy + ky][ox + kx][c] += columns[(b, oy, ox)][patch].
    func col2im(_ columns: UnsafePointer<Float>, batch: Int, into dx: UnsafeMutablePointer<Float>) {
        dx.update(repeating: 0, count: batch * inputSize)
        let run = kernel * channels, rowStride = width * channels
        var row = columns
        for b in 0..<batch {
            let xb = dx + b * inputSize
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    for ky in 0..<kernel {
                        BLAS.axpy(run, 1, row + ky * run, xb + (oy + ky) * rowStride + ox * channels)
                    }
                    row += patchSize
                }
            }
        }
    }

    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let rows = batch * outHeight * outWidth
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: rows * patchSize)
        defer { columns.deallocate() }
        im2col(x, batch: batch, into: columns)
        BLAS.broadcastRows(parameters + patchSize * filters, m: rows, n: filters, into: y)
        BLAS.gemm(m: rows, n: filters, k: patchSize, columns, parameters, beta: 1, y)
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int,
                  parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, alpha: Float, beta: Float,
                  dx: UnsafeMutablePointer<Float>?) {
        let rows = batch * outHeight * outWidth
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: rows * patchSize)
        defer { columns.deallocate() }
        if let dx {
            BLAS.gemm(transposeB: true, m: rows, n: patchSize, k: filters, dy, parameters, columns) // dcols = dy·Wᵀ
            col2im(columns, batch: batch, into: dx)
        }
        im2col(x, batch: batch, into: columns)
        BLAS.gemm(transposeA: true, m: patchSize, n: filters, k: rows, alpha: alpha, columns, dy, beta: beta, gradient) // dW = colsᵀ·dy
        BLAS.columnSums(dy, m: rows, n: filters, alpha: alpha, beta: beta, into: gradient + patchSize * filters)
    }
}
