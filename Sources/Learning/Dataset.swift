/// A labelled data set held in memory: one row of `featureCount` floats per sample, row-major.
public struct Dataset: Sendable {
    public let features: [Float]
    public let labels: [Int32]
    /// Per-sample shape, e.g. [1, 28, 28] (channels, height, width) for images.
    public let featureShape: [Int]
    public let classCount: Int

    public init(features: [Float], labels: [Int32], featureShape: [Int], classCount: Int) {
        let featureCount = featureShape.reduce(1, *)
        precondition(features.count == labels.count * featureCount, "features must hold labels.count × \(featureCount) values")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classCount }, "labels must lie in 0..<\(classCount)")
        self.features = features
        self.labels = labels
        self.featureShape = featureShape
        self.classCount = classCount
    }

    public var count: Int { labels.count }
    public var featureCount: Int { featureShape.reduce(1, *) }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        let width = featureCount
        var picked = [Float](repeating: 0, count: indices.count * width)
        features.withUnsafeBufferPointer { source in
            picked.withUnsafeMutableBufferPointer { target in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
                    (target.baseAddress! + row * width).update(from: source.baseAddress! + index * width, count: width)
                }
            }
        }
        return Dataset(features: picked, labels: indices.map { labels[$0] }, featureShape: featureShape, classCount: classCount)
    }

    /// Number of samples per class, `classCount` entries.
    public func labelHistogram() -> [Int] {
        var histogram = [Int](repeating: 0, count: classCount)
        for label in labels { histogram[Int(label)] += 1 }
        return histogram
    }
}
