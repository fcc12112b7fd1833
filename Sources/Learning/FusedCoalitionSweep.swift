import CCoalitionSweep
import Foundation
import Dispatch

/// The coalition sweep for models of the form first layer → ReLU → dense to the classes (the default MLP), cache-blocked.
///
/// The validation images are cut into blocks small enough that the block's first-layer outputs of the base and of all N
/// members, plus the running sums, stay in one core's L2 cache; for each block the C kernel (`CCoalitionSweep`) visits
/// all 2^N subsets depth-first, each subset costing one fused pass (running sum, ReLU, dense layer, argmax or loss).
/// Blocks are grouped into a fixed number of contiguous segments whose partial results are added in segment order, so
/// the result does not depend on `parallel` or on the thread count. Accuracies are those of
/// `CombinationEvaluator.evaluate(coefficients:)`: subsets with a near-tie row are re-evaluated by that path.
struct FusedCoalitionSweep {
    let members: Int
    let hidden: Int
    let classes: Int
    let count: Int
    /// The kernel variant (FEDATTR_SWEEP_*) and its rows per vector, which the block layout groups by.
    let isa: Int32
    let lanes: Int
    let rows: Int           // rows per block, a multiple of `lanes`
    let blocks: Int
    let segments: Int
    let denseCount: Int     // H·C + C
    /// (N + 1) × denseCount: the dense layer of the base, then of each delta.
    let dense: [Float]

    /// Whether `model` has the shape the kernel handles, and the sweep is small enough for it.
    static func applies(to model: Model, members: Int) -> Bool {
        model.layers.count == 3 && model.layers[1] is ReLU && model.layers[2] is Dense
            && model.layers[2].outputSize == model.classCount && model.classCount <= Int(FEDATTR_SWEEP_MAX_CLASSES)
            && members >= 1 && members <= 30
    }

    /// Per-core cache budget for one block's working set (the base's and the N members' first-layer outputs and the N
    /// running sums): 60 % of the L2 cache the system reports per core, 320 KiB when it reports none.
    static let cacheBudget: Int = {
        let l2 = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE))
        return l2 >= 256 * 1024 ? l2 * 6 / 10 : 320 * 1024
    }()

    /// Rows per block so that (2N + 2) block layouts of `hidden` floats per row fit `cacheBudget`, a multiple of `lanes`
    /// in `lanes`…128.
    static func blockRows(members: Int, hidden: Int, lanes: Int = Int(fedattr_sweep_lanes(bestISA))) -> Int {
        let fit = cacheBudget / ((2 * members + 2) * hidden * MemoryLayout<Float>.size)
        return min(128, max(lanes, fit / lanes * lanes))
    }

    /// The fastest kernel variant this CPU runs.
    static let bestISA: Int32 = fedattr_sweep_best_isa()

    /// Every variant this CPU runs, slowest first (the tests compare them).
    static var availableISAs: [Int32] { Array(Int32(FEDATTR_SWEEP_BASELINE)...bestISA) }

    /// The instruction set of a variant, for reports.
    static func instructionSet(_ isa: Int32 = bestISA) -> String {
        switch isa {
        case Int32(FEDATTR_SWEEP_AVX512): return "AVX-512"
        case Int32(FEDATTR_SWEEP_AVX2): return "AVX2+FMA"
        default: return "baseline x86-64"
        }
    }

    init(evaluator: CombinationEvaluator, isa: Int32 = FusedCoalitionSweep.bestISA) {
        precondition(isa >= Int32(FEDATTR_SWEEP_BASELINE) && isa <= Self.bestISA, "kernel variant \(isa) does not run on this CPU")
        self.isa = isa
        lanes = Int(fedattr_sweep_lanes(isa))
        let model = evaluator.model
        members = evaluator.deltas.count
        hidden = evaluator.width
        classes = model.classCount
        count = evaluator.count
        rows = Self.blockRows(members: members, hidden: hidden, lanes: lanes)
        blocks = max(1, (count + rows - 1) / rows)
        // Each segment keeps 2^N counts, flags and losses; at most ~256 MiB of them in all. Up to 64 segments, so that the
        // threads finish within about one block of each other.
        let perSegment = (1 << members) * (MemoryLayout<Int32>.size + 1 + MemoryLayout<Double>.size)
        segments = max(1, min(blocks, 64, (1 << 28) / perSegment))
        let start = model.offsets[2], end = model.offsets[3]
        denseCount = end - start
        var dense = Array(evaluator.base[start..<end])
        for delta in evaluator.deltas { dense += delta[start..<end] }
        self.dense = dense
    }

    /// Correct counts with near-tie flags (accuracy) or loss sums (loss) of every subset, indexed by mask.
    func run(_ evaluator: CombinationEvaluator, weights: [Float], metric: CombinationEvaluator.Metric, parallel: Bool)
        -> (correct: [Int], tied: [Bool], losses: [Double]) {
        let total = 1 << members
        let results = (0..<segments).map { _ in SegmentResult(subsets: total, losses: metric == .loss) }
        let work: @Sendable (Int) -> Void = { segment in
            let first = segment * blocks / segments, last = (segment + 1) * blocks / segments
            self.runBlocks(first..<last, evaluator, weights: weights, margin: CombinationEvaluator.tieMargin, into: results[segment])
        }
        if parallel && segments > 1 {
            DispatchQueue.concurrentPerform(iterations: segments, execute: work)
        } else {
            for segment in 0..<segments { work(segment) }
        }
        var correct = [Int](repeating: 0, count: total), tied = [Bool](repeating: false, count: total)
        var losses = [Double](repeating: 0, count: metric == .loss ? total : 0)
        for result in results {
            for mask in 0..<total {
                correct[mask] += Int(result.correct[mask])
                tied[mask] = tied[mask] || result.tied[mask] != 0
            }
            if let partial = result.losses { for mask in 0..<total { losses[mask] += partial[mask] } }
        }
        return (correct, tied, losses)
    }

    /// Packs each block of `range` into block layout and runs the kernel on it, accumulating into `result`.
    private func runBlocks(_ range: Range<Int>, _ evaluator: CombinationEvaluator, weights: [Float], margin: Float,
                           into result: SegmentResult) {
        let layout = rows * hidden
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: (members + 1) * layout)
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: (members + 1) * layout)
        let denseSums = UnsafeMutablePointer<Float>.allocate(capacity: members * denseCount)
        let denseCombined = UnsafeMutablePointer<Float>.allocate(capacity: denseCount)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: rows)
        defer {
            packed.deallocate(); sums.deallocate(); denseSums.deallocate(); denseCombined.deallocate(); labels.deallocate()
        }
        (sums + members * layout).initialize(repeating: 0, count: layout)
        for block in range {
            let start = block * rows, valid = min(rows, count - start)
            evaluator.baseOutput.withUnsafeBufferPointer { pack($0.baseAddress!, scale: 1, start: start, valid: valid, into: packed) }
            for (i, output) in evaluator.deltaOutputs.enumerated() {
                output.withUnsafeBufferPointer {
                    pack($0.baseAddress!, scale: weights[i], start: start, valid: valid, into: packed + (i + 1) * layout)
                }
            }
            for r in 0..<rows { labels[r] = r < valid ? evaluator.labels[start + r] : -1 }
            weights.withUnsafeBufferPointer { w in
                dense.withUnsafeBufferPointer { d in
                    var block = fedattr_sweep_block(
                        isa: isa, members: Int32(members), hidden: Int32(hidden), classes: Int32(classes), rows: Int32(rows),
                        weights: w.baseAddress, base: packed, outputs: packed + layout, dense: d.baseAddress, labels: labels,
                        margin: margin, sums: sums, denseSums: denseSums, denseCombined: denseCombined,
                        correct: result.correct, tied: result.tied, losses: result.losses)
                    fedattr_sweep_block_run(&block)
                }
            }
        }
    }

    /// Copies rows start ..< start + valid of a row-major [count × hidden] matrix, times `scale`, into block layout (groups
    /// of `lanes` rows, each stored unit-major), zero-filling the padding rows.
    private func pack(_ source: UnsafePointer<Float>, scale: Float, start: Int, valid: Int, into out: UnsafeMutablePointer<Float>) {
        for g in 0..<(rows / lanes) {
            let group = out + g * hidden * lanes
            for l in 0..<lanes {
                let r = g * lanes + l
                if r < valid {
                    let row = source + (start + r) * hidden
                    for h in 0..<hidden { group[h * lanes + l] = scale * row[h] }
                } else {
                    for h in 0..<hidden { group[h * lanes + l] = 0 }
                }
            }
        }
    }
}

/// One segment's per-subset accumulators, written only by the thread running that segment.
private final class SegmentResult: @unchecked Sendable {
    let correct: UnsafeMutablePointer<Int32>
    let tied: UnsafeMutablePointer<UInt8>
    let losses: UnsafeMutablePointer<Double>?

    init(subsets: Int, losses withLosses: Bool) {
        correct = .allocate(capacity: subsets)
        correct.initialize(repeating: 0, count: subsets)
        tied = .allocate(capacity: subsets)
        tied.initialize(repeating: 0, count: subsets)
        if withLosses {
            losses = .allocate(capacity: subsets)
            losses!.initialize(repeating: 0, count: subsets)
        } else {
            losses = nil
        }
    }

    deinit {
        correct.deallocate()
        tied.deallocate()
        losses?.deallocate()
    }
}
