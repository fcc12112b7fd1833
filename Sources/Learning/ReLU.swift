/// Elementwise max(0, x). The loops run 16 lanes at a time: branch-free, since half the units are active at random.
struct ReLU: Layer {
    let size: Int

    var inputSize: Int { size }
    var outputSize: Int { size }

    typealias Lanes = SIMD16<Float>

    func forward(_ x: UnsafePointer<Float>, batch: Int, parameters: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let n = batch * size, whole = n - n % Lanes.scalarCount
        for i in stride(from: 0, to: whole, by: Lanes.scalarCount) {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: Lanes.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v.replacing(with: 0, where: v .< 0), as: Lanes.self)
        }
        for i in whole..<n { y[i] = max(x[i], 0) }
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int,
                  parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, alpha: Float, beta: Float,
                  dx: UnsafeMutablePointer<Float>?) {
        guard let dx else { return }
        let n = batch * size, whole = n - n % Lanes.scalarCount
        for i in stride(from: 0, to: whole, by: Lanes.scalarCount) {
            let active = UnsafeRawPointer(y + i).loadUnaligned(as: Lanes.self) .> 0
            let g = UnsafeRawPointer(dy + i).loadUnaligned(as: Lanes.self)
            UnsafeMutableRawPointer(dx + i).storeBytes(of: g.replacing(with: 0, where: .!active), as: Lanes.self)
        }
        for i in whole..<n { dx[i] = y[i] > 0 ? dy[i] : 0 }
    }
}
