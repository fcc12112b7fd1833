import CCoalitionSweep
import CDenseKernel

/// The first dense layer of a training step computed on the batch's sample rows where they lie (`CDenseKernel`): no
/// gathered copy of the batch and no OpenBLAS packing of the weights on every call. Every variant gives the same bits.
public struct DenseKernel: Sendable, Equatable {
    /// FEDATTR_DENSE_AVX512 or FEDATTR_DENSE_AVX2.
    let isa: Int32

    /// The fastest variant this CPU runs; nil when it has neither AVX-512 nor AVX2 with FMA. The coalition sweep's CPU
    /// check asks for exactly the features these variants need.
    public static let best: DenseKernel? = {
        switch FusedCoalitionSweep.bestISA {
        case Int32(FEDATTR_SWEEP_AVX512): return DenseKernel(isa: FEDATTR_DENSE_AVX512)
        case Int32(FEDATTR_SWEEP_AVX2): return DenseKernel(isa: FEDATTR_DENSE_AVX2)
        default: return nil
        }
    }()

    /// Every variant this CPU runs, fastest first.
    public static var available: [DenseKernel] {
        guard let best else { return [] }
        return best.isa == FEDATTR_DENSE_AVX512 ? [best, DenseKernel(isa: FEDATTR_DENSE_AVX2)] : [best]
    }

    public var name: String { isa == FEDATTR_DENSE_AVX512 ? "avx512" : "avx2" }

    /// Output widths this variant runs: multiples of its column tile (64 floats for AVX-512, 16 for AVX2).
    public func runs(outputs: Int) -> Bool {
        let tile = Int(fedattr_dense_column_tile(isa))
        return tile > 0 && outputs > 0 && outputs % tile == 0
    }

    /// y[r] = bias + rows[r]·W for each of `rows.count` rows of `inputs` floats; W row-major inputs × outputs.
    func forward(rows: UnsafePointer<UnsafePointer<Float>?>, batch: Int, inputs: Int, outputs: Int,
                 weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        fedattr_dense_forward(isa, rows, Int32(batch), Int32(inputs), Int32(outputs), weights, bias, y)
    }

    /// G = alpha · Σ_r rows[r]ᵀ·dy[r] + beta · G (G not read when beta = 0); G row-major inputs × outputs.
    func weightGradient(rows: UnsafePointer<UnsafePointer<Float>?>, batch: Int, inputs: Int, outputs: Int,
                        dy: UnsafePointer<Float>, alpha: Float, beta: Float, into gradient: UnsafeMutablePointer<Float>) {
        fedattr_dense_weight_gradient(isa, rows, Int32(batch), Int32(inputs), Int32(outputs), dy, alpha, beta, gradient)
    }
}
