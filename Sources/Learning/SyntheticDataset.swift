/// A small learnable stand-in for Fashion-MNIST: 28×28 images of 10 procedural glyphs, jittered and noisy; deterministic per seed.
public enum SyntheticDataset {
    static let side = 28

    /// `count` samples with balanced labels (sample i has class i mod 10, order shuffled by `seed`).
    public static func generate(count: Int, seed: UInt64) -> Dataset {
        var rng = SeededGenerator(seed: seed)
        var labels = (0..<count).map { Int32($0 % 10) }
        rng.shuffle(&labels)
        let pixels = side * side
        var features = [Float](repeating: 0, count: count * pixels)
        features.withUnsafeMutableBufferPointer { buffer in
            for (sample, label) in labels.enumerated() {
                draw(glyph: Int(label), into: buffer.baseAddress! + sample * pixels, rng: &rng)
            }
        }
        return Dataset(features: features, labels: labels, featureShape: [1, side, side], classCount: 10)
    }

    /// Class k: a bright blob on a ring at angle 2πk/10 plus a dimmer blob at angle 2π(3k mod 10)/10 nearer the centre,
    /// both shifted by up to ±2 pixels, with brightness jitter and uniform noise.
    private static func draw(glyph k: Int, into image: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        let shiftX = Double(rng.index(below: 5) - 2), shiftY = Double(rng.index(below: 5) - 2)
        let brightness = 0.7 + 0.3 * rng.uniform()
        let a1 = 2 * Double.pi * Double(k) / 10, a2 = 2 * Double.pi * Double((3 * k) % 10) / 10
        let centres = [(13.5 + 8 * _cos(a1) + shiftX, 13.5 + 8 * _cos(a1 - Double.pi / 2) + shiftY, 1.0, 3.0),
                       (13.5 + 4 * _cos(a2) + shiftX, 13.5 + 4 * _cos(a2 - Double.pi / 2) + shiftY, 0.6, 2.0)]
        for y in 0..<side {
            for x in 0..<side {
                var value = 0.25 * rng.uniform()
                for (cx, cy, weight, radius) in centres {
                    let d2 = (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)
                    value += brightness * weight * _exp(-d2 / (2 * radius * radius))
                }
                image[y * side + x] = Float(min(1, value))
            }
        }
    }
}
