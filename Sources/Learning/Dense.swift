/// Fully connected layer y = x·W + b. Parameters: W (inputs × outputs, row-major), then b (outputs).
struct Dense: Layer {
    let inputs: Int
    let outputs: Int
    /// He initialisation when a ReLU follows, Glorot otherwise.
    let feedsReLU: Bool

    var inputSize: Int { inputs }
    var outputSize: Int { outputs }
    var parameterCount: Int { inputs * outputs + outputs }

    func initialize(_ parameters: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        let limit = feedsReLU ? (6 / Float(inputs)).squareRoot() : (6 / Float(inputs + outputs)).squareRoot()
        initializeUniform(parameters, count: inputs * outputs, limit: limit, rng: &rng)
        (parameters + inputs * outputs).initialize(repeating: 0, count: outputs)
    }

    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        BLAS.broadcastRows(parameters + inputs * outputs, m: batch, n: outputs, into: y)
        BLAS.gemm(m: batch, n: outputs, k: inputs, x, parameters, beta: 1, y)
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int,
                  parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, alpha: Float, beta: Float,
                  dx: UnsafeMutablePointer<Float>?) {
        if let dx {
            BLAS.gemm(transposeB: true, m: batch, n: inputs, k: outputs, dy, parameters, dx)                 // dx = dy·Wᵀ
        }
        BLAS.gemm(transposeA: true, m: inputs, n: outputs, k: batch, alpha: alpha, x, dy, beta: beta, gradient) // dW = xᵀ·dy
        BLAS.columnSums(dy, m: batch, n: outputs, alpha: alpha, beta: beta, into: gradient + inputs * outputs)  // db = Σ rows of dy
    }
}

extension Dense {
    /// forward(_:…) on `batch` rows read where they lie, by `kernel`.
    func forward(rows: UnsafePointer<UnsafePointer<Float>?>, batch: Int, parameters: UnsafePointer<Float>,
                 into y: UnsafeMutablePointer<Float>, kernel: DenseKernel) {
        kernel.forward(rows: rows, batch: batch, inputs: inputs, outputs: outputs, weights: parameters,
                       bias: parameters + inputs * outputs, into: y)
    }

    /// backward(…) without dx, on `batch` rows read where they lie, by `kernel` (the bias by BLAS).
    func backward(rows: UnsafePointer<UnsafePointer<Float>?>, dy: UnsafePointer<Float>, batch: Int,
                  gradient: UnsafeMutablePointer<Float>, alpha: Float, beta: Float, kernel: DenseKernel) {
        kernel.weightGradient(rows: rows, batch: batch, inputs: inputs, outputs: outputs, dy: dy, alpha: alpha, beta: beta,
                              into: gradient)
        BLAS.columnSums(dy, m: batch, n: outputs, alpha: alpha, beta: beta, into: gradient + inputs * outputs)
    }

    /// inputs × outputs + outputs, nil when that overflows `Int`: sizes read from files and settings are counted
    /// before anything is allocated.
    static func parameterCount(inputs: Int, outputs: Int) -> Int? {
        let (weights, overflow) = inputs.multipliedReportingOverflow(by: outputs)
        return overflow ? nil : checkedSum([weights, outputs])
    }
}

/// The sum of `counts`, nil when one is nil or the sum overflows `Int`.
func checkedSum(_ counts: [Int?]) -> Int? {
    var total = 0
    for count in counts {
        guard let count else { return nil }
        let (sum, overflow) = total.addingReportingOverflow(count)
        if overflow { return nil }
        total = sum
    }
    return total
}
