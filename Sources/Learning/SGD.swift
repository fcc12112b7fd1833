/// Stochastic gradient descent: v ← momentum·v + (g + weightDecay·p); p ← p − learningRate·v (plain p ← p − lr·g without momentum).
public struct SGD: Sendable {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// No momentum and no weight decay: the update p ← p − lr·g can be fused into back-propagation.
    var isPlain: Bool { momentum == 0 && weightDecay == 0 }

    /// One update of `count` parameters. `gradient` is clobbered; `velocity` is needed when momentum ≠ 0.
    func step(_ parameters: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>,
              velocity: UnsafeMutablePointer<Float>?, count: Int) {
        if weightDecay != 0 { BLAS.axpy(count, weightDecay, parameters, gradient) }
        if momentum != 0, let velocity {
            BLAS.scal(count, momentum, velocity)
            BLAS.axpy(count, 1, gradient, velocity)
            BLAS.axpy(count, -learningRate, velocity, parameters)
        } else {
            BLAS.axpy(count, -learningRate, gradient, parameters)
        }
    }
}
