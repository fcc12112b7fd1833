/// History: flags a client that the other detectors flagged in at least k of the last m rounds (this one
/// included), so a persistent offender stays flagged in rounds where it slips under a single detector.
public struct HistoryDetector: Detector {
    public let k: Int
    public let m: Int
    public var name: String { "history(k=\(k);m=\(m))" }

    public init(k: Int = 3, m: Int = 5) {
        self.k = k
        self.m = m
    }

    public func check(_ round: DetectionRound) -> [DetectionCheck] {
        round.clients.map { c in
            let earlier = (round.flaggedRounds[c] ?? []).filter { $0 > round.round - m && $0 < round.round }.count
            let count = earlier + ((round.flagsSoFar[c] ?? []).isEmpty ? 0 : 1)
            return DetectionCheck(round: round.round, client: c, detector: name, score: Double(count), threshold: Double(k),
                                  direction: "at-least", flagged: count >= k)
        }
    }
}
