import CBLAS

/// OpenBLAS's worker-thread count for this process (openblas_set_num_threads). Never changed implicitly by the library.
public enum BLASThreads {
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var current: Int { Int(openblas_get_num_threads()) }
    /// The kernel family OpenBLAS picked for this CPU at load time (e.g. "SkylakeX"; "Prescott" is its slow generic fallback).
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
}

/// Thin row-major wrappers over the few CBLAS routines the layers use.
enum BLAS {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major with tight leading dimensions.
    @inline(__always)
    static func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                     alpha: Float = 1, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                     beta: Float = 0, _ c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), beta, c, Int32(n))
    }

    /// y += alpha · x
    @inline(__always)
    static func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// x *= alpha
    @inline(__always)
    static func scal(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>) {
        cblas_sscal(Int32(n), alpha, x, 1)
    }

    /// Every row of the m×n matrix `y` set to `row`.
    @inline(__always)
    static func broadcastRows(_ row: UnsafePointer<Float>, m: Int, n: Int, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<m { (y + r * n).update(from: row, count: n) }
    }

    /// sums[n] = alpha · (column sums of the m×n matrix `x`, i.e. xᵀ·1) + beta · sums.
    static func columnSums(_ x: UnsafePointer<Float>, m: Int, n: Int, alpha: Float = 1, beta: Float = 0,
                           into sums: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: m) { ones in
            ones.initialize(repeating: 1)
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(n), alpha, x, Int32(n), ones.baseAddress!, 1, beta, sums, 1)
        }
    }
}
