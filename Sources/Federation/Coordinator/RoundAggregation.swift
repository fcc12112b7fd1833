import Aggregation
import Attribution
import Foundation
import Learning
import Logging

/// The coordinator's step between accepting updates and scoring them: the detectors check every update
/// (detections.jsonl gets every check), then the aggregation rule combines them, dropping flagged clients when
/// `--drop-flagged` is set and falling back where the rule cannot apply (both logged).
final class RoundAggregation: @unchecked Sendable {  // used from the coordinator's thread only
    let rule: any AggregationRule
    let detection: DetectionStage
    let dropFlagged: Bool
    private let detections: JSONLines

    init(config: CoordinatorConfig, root: Dataset) throws {
        let hp = config.hyperparameters
        let training = config.spec.rootSize > 0
            ? RootTraining(data: root, spec: config.spec.modelSpec, epochs: Int(hp.epochs), batchSize: Int(hp.batchSize),
                           optimizer: SGD(learningRate: hp.learningRate, momentum: hp.momentum, weightDecay: hp.weightDecay),
                           seed: hp.seed &+ 0xF17_7275)
            : nil
        rule = try AggregationRegistry.make(config.aggregation, root: training)
        detection = DetectionStage(detectors: try DetectorRegistry.make(config.detectors))
        dropFlagged = config.dropFlagged
        let path = RunLayout(directory: config.outputDirectory).detections
        try FileManager.default.createDirectory(atPath: config.outputDirectory, withIntermediateDirectories: true)
        if !config.resume { try? FileManager.default.removeItem(atPath: path) }  // a resumed run keeps its checks (cut back by the checkpoint)
        detections = try JSONLines(path: path)
    }

    /// Detects, then aggregates. The returned input is the prepared one every coalition of the game starts from.
    func run(round: Int, base: [Float], clients: [String], sampleCounts: [Int], trainLosses: [Double], updates: [[Float]],
             logger: Logger, timeline: inout RoundTimeline?) throws -> Outcome {
        let detectStart = Date()
        let report = detection.run(round: round, clients: clients, sampleCounts: sampleCounts, updates: updates)
        timeline?.mark("detected")
        try detections.append(contentsOf: report.checks)
        timeline?.mark("detections_written")
        let detectMilliseconds = Date().timeIntervalSince(detectStart) * 1000
        for client in report.flaggedClients {
            logger.warning("client flagged", metadata: ["round": "\(round)", "client": "\(client)",
                                                         "detectors": "\(report.flags[client]!.joined(separator: ","))"])
        }
        var input = AggregationInput(round: round, base: base, clients: clients, sampleCounts: sampleCounts, trainLosses: trainLosses,
                                     updates: updates, flagged: clients.map { report.flags[$0] != nil }, dropFlagged: dropFlagged,
                                     statistics: report.statistics)
        rule.prepare(&input)
        let result = rule.aggregate(input)
        let d = result.decision
        if let reason = d.fallbackReason {
            logger.warning("aggregation fell back", metadata: ["round": "\(round)", "rule": "\(d.rule)", "applied": "\(d.applied)", "reason": "\(reason)"])
        }
        if !d.dropped.isEmpty {
            logger.info("aggregation left clients out", metadata: ["round": "\(round)", "rule": "\(d.rule)",
                                                                 "clients": "\(d.dropped.map { "\($0.client):\($0.reason)" }.joined(separator: ","))"])
        }
        return Outcome(input: input, result: result, detection: report, detectMilliseconds: detectMilliseconds)
    }

    struct Outcome {
        var input: AggregationInput
        var result: AggregationResult
        var detection: DetectionReport
        /// Wall-clock time of the detectors and of appending their checks to detections.jsonl.
        var detectMilliseconds: Double

        /// The round's flags for the ledger.
        var ledgerFlags: [LedgerFlag] {
            detection.checks.filter(\.flagged).map { LedgerFlag(client: $0.client, detector: $0.detector, score: $0.score, threshold: $0.threshold) }
        }

        var ledgerAggregation: LedgerAggregation {
            let d = result.decision
            return LedgerAggregation(rule: d.rule, applied: d.applied, fallbackReason: d.fallbackReason,
                                     dropped: d.dropped.map { [$0.client, $0.reason] })
        }
    }
}
