import Foundation

/// The detector stage of the round loop: after the updates are accepted and before aggregation, runs every
/// detector on the round and remembers who was flagged when (for the history detector).
public final class DetectionStage: @unchecked Sendable {  // used from the coordinator's thread only
    public let detectors: [any Detector]
    private var flaggedRounds: [String: [Int]] = [:]

    public init(detectors: [any Detector]) { self.detectors = detectors }

    public var names: [String] { detectors.map(\.name) }

    /// Every check of the round (one per detector and client) and, per client, the detectors that flagged it.
    public func run(round: Int, clients: [String], sampleCounts: [Int], updates: [[Float]]) -> DetectionReport {
        guard !detectors.isEmpty, !updates.isEmpty else { return DetectionReport(checks: [], flags: [:], statistics: nil) }
        let total = Double(sampleCounts.reduce(0, +))
        let statistics = RoundStatistics(updates: updates, weights: sampleCounts.map { total > 0 ? Double($0) / total : 1 })
        let input = DetectionRound(
            round: round, clients: clients, sampleCounts: sampleCounts, updates: updates,
            geometry: statistics.geometry, mean: statistics.mean, median: statistics.median,
            flaggedRounds: flaggedRounds, flagsSoFar: [:])
        var checks: [DetectionCheck] = []
        var flags: [String: [String]] = [:]
        for detector in detectors {
            var view = input
            view.flagsSoFar = flags
            for c in detector.check(view) {
                checks.append(c)
                if c.flagged { flags[c.client, default: []].append(c.detector) }
            }
        }
        for c in flags.keys where flags[c]!.contains(where: { !$0.hasPrefix("history(") }) {
            flaggedRounds[c, default: []].append(round)
        }
        return DetectionReport(checks: checks, flags: flags, statistics: statistics)
    }
}

/// One round's detection results.
public struct DetectionReport: Sendable {
    public var checks: [DetectionCheck]
    /// client → names of the detectors that flagged it (clients never flagged are absent).
    public var flags: [String: [String]]
    /// The round's mean, median and Gram the detectors used (nil when none ran), for the rule to reuse.
    public var statistics: RoundStatistics?

    public var flaggedClients: [String] { flags.keys.sorted() }
}
