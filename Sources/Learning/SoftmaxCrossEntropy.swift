/// Softmax cross-entropy on logits, with the argmax accuracy count that evaluation needs.
enum SoftmaxCrossEntropy {
    /// Returns Σ_rows −log softmax(z)[label] and how many rows' first argmax equals the label. When `gradient`
    /// is given, writes d(mean loss)/dz = (softmax(z) − onehot(label)) / batch into it.
    static func evaluate(logits z: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, classes: Int,
                         gradient: UnsafeMutablePointer<Float>? = nil) -> (lossSum: Double, correct: Int) {
        var lossSum = 0.0, correct = 0
        let scale = 1 / Double(batch)
        for r in 0..<batch {
            let row = z + r * classes, label = Int(labels[r])
            var best = 0
            for j in 1..<classes where row[j] > row[best] { best = j }
            if best == label { correct += 1 }
            let top = Double(row[best])
            var sum = 0.0
            if let gradient {
                let g = gradient + r * classes
                for j in 0..<classes {
                    let e = _exp(Double(row[j]) - top)
                    g[j] = Float(e)
                    sum += e
                }
                for j in 0..<classes { g[j] = Float(Double(g[j]) / sum * scale) }
                g[label] -= Float(scale)
            } else {
                for j in 0..<classes { sum += _exp(Double(row[j]) - top) }
            }
            lossSum += _log(sum) + top - Double(row[label])
        }
        return (lossSum, correct)
    }

    /// `evaluate`'s accuracy count without the loss: rows whose first argmax equals the label.
    static func correctCount(logits z: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, classes: Int) -> Int {
        var correct = 0
        for r in 0..<batch {
            let row = z + r * classes
            var best = 0
            for j in 1..<classes where row[j] > row[best] { best = j }
            if best == Int(labels[r]) { correct += 1 }
        }
        return correct
    }

    /// `evaluate`'s accuracy count without the loss, or nil as soon as a row's best logit beats the runner-up by no more
    /// than margin · max(1, |best|), i.e. when rounding differences in the logits could change the argmax.
    static func clearCorrectCount(logits z: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, classes: Int,
                                  margin: Float) -> Int? {
        var correct = 0
        for r in 0..<batch {
            let row = z + r * classes
            var best = 0
            for j in 1..<classes where row[j] > row[best] { best = j }
            let top = row[best]
            var second = -Float.infinity
            for j in 0..<classes where j != best && row[j] > second { second = row[j] }
            if top - second <= margin * max(1, abs(top)) { return nil }
            if best == Int(labels[r]) { correct += 1 }
        }
        return correct
    }
}
