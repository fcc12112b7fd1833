/// Per-layer output and output-gradient buffers for passes over up to `capacity` samples; owned by one thread.
final class Workspace {
    let capacity: Int
    /// activations[i] is layer i's output.
    let activations: [UnsafeMutablePointer<Float>]
    /// gradients[i] is dL/d(layer i's output).
    let gradients: [UnsafeMutablePointer<Float>]

    init(layers: [any Layer], capacity: Int, withGradients: Bool) {
        self.capacity = capacity
        activations = layers.map { .allocate(capacity: capacity * $0.outputSize) }
        gradients = withGradients ? layers.map { .allocate(capacity: capacity * $0.outputSize) } : []
    }

    deinit {
        activations.forEach { $0.deallocate() }
        gradients.forEach { $0.deallocate() }
    }
}
