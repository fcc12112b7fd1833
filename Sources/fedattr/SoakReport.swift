import Federation
import Foundation

/// What a soak run left behind, checked: round times from rounds.jsonl, the coordinator's RSS and descriptors per
/// round from the samples, every update a client logged as sent matched to the round that took it (participants), a
/// late-update line or a refusal, and the ledger verified against the run's CA.
struct SoakReport {
    var roundTotals: [Double] = []
    var collect: [Double] = []
    var attribution: [Double] = []
    var broadcast: [Double] = []
    var roundsRecorded = 0
    var participants: [Int] = []
    var stragglers = 0
    var refused = 0
    /// Updates clients logged as sent; of those, taken in their round, logged late, refused; and the rest.
    var sent = 0
    var taken = 0
    var late = 0
    var refusedSent = 0
    var unaccounted: [String] = []
    /// Participants the coordinator recorded for which no client logged a send (a log lost, or a bug).
    var unmatchedParticipants = 0
    var peakRSSPerRound: [Int: Int] = [:]
    var descriptorsPerRound: [Int: Int] = [:]
    var threadsMax = 0
    var descriptorLimit = "?"
    var ledger = "not verified"
    var coordinatorCPU = 0.0
    var rssSpread = 0.0
    var rssGrowthPerRoundKB = 0.0
    let warmupRounds: Int
    let clients: Int
    let rounds: Int
    var failures: [String] = []

    init(directory: String, clients: Int, rounds: Int, warmupRounds: Int, samples: [Sample], rssTolerance: Double) throws {
        self.clients = clients
        self.rounds = rounds
        self.warmupRounds = warmupRounds
        let layout = RunLayout(directory: directory)
        var taken: [Int: Set<String>] = [:]
        var refusedBy: [Int: Set<String>] = [:]
        for line in Self.lines(layout.rounds) {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let round = object["round"] as? Int else { continue }
            roundsRecorded += 1
            let d = object["durations_ms"] as? [String: Double] ?? [:]
            roundTotals.append(d["total"] ?? .nan)
            collect.append(d["collect"] ?? .nan)
            attribution.append(d["attribution"] ?? .nan)
            broadcast.append(d["broadcast"] ?? .nan)
            let who = object["participants"] as? [String] ?? []
            participants.append(who.count)
            taken[round] = Set(who)
            stragglers += (object["stragglers"] as? [String] ?? []).count
            let rejected = object["rejected"] as? [[String: Any]] ?? []
            refused += rejected.count
            refusedBy[round] = Set(rejected.compactMap { ($0["client"] as? String) ?? ($0["claimed_client"] as? String) })
        }
        var lateBy: Set<String> = []
        for line in Self.lines(layout.coordinatorLog) {
            if line.contains("msg=\"late update\""), let round = Self.field("round", line), let client = Self.field("client", line) {
                lateBy.insert("\(client)@\(round)")
            }
            if line.contains("msg=listening"), let limit = Self.field("descriptor_limit", line) { descriptorLimit = String(limit) }
        }
        var sentBy: [Int: Set<String>] = [:]
        for i in 0..<clients {
            let id = "client-\(i)"
            for line in Self.lines(layout.log(id)) {
                guard let event = UpdateSentEvent(logfmtLine: line) else { continue }
                let round = Int(event.round)
                sent += 1
                sentBy[round, default: []].insert(id)
                if taken[round]?.contains(id) == true {
                    self.taken += 1
                } else if lateBy.contains("\(id)@\(round)") {
                    late += 1
                } else if refusedBy[round]?.contains(id) == true {
                    refusedSent += 1
                } else {
                    unaccounted.append("\(id)@\(round)")
                }
            }
        }
        for (round, who) in taken { unmatchedParticipants += who.subtracting(sentBy[round] ?? []).count }

        // Samples taken while round r ran have completedRounds = r − 1; the last samples (after the last round) are left out.
        for s in samples where s.completedRounds < rounds {
            let round = s.completedRounds + 1
            peakRSSPerRound[round] = max(peakRSSPerRound[round] ?? 0, s.rssKB)
            descriptorsPerRound[round] = max(descriptorsPerRound[round] ?? 0, s.descriptors)
            threadsMax = max(threadsMax, s.threads)
        }
        coordinatorCPU = samples.last?.cpuSeconds ?? 0
        let settled = peakRSSPerRound.filter { $0.key > warmupRounds }.sorted { $0.key < $1.key }
        if let low = settled.map(\.value).min(), let high = settled.map(\.value).max(), low > 0 {
            rssSpread = Double(high - low) / Double(low)
            rssGrowthPerRoundKB = Self.slope(settled.map { (Double($0.key), Double($0.value)) })
        }
        do {
            let verified = try AuditVerifier.verify(directory: directory, caFile: layout.pki.caCertificate)
            ledger = "verified: \(verified.records) records, \(verified.entries) signed entries, chain head \(verified.headDigest.prefix(16))…"
        } catch {
            ledger = "FAILED: \(error)"
            failures.append("ledger does not verify")
        }

        if roundsRecorded != rounds { failures.append("\(roundsRecorded) of \(rounds) rounds recorded") }
        if !unaccounted.isEmpty { failures.append("\(unaccounted.count) updates unaccounted for (\(unaccounted.prefix(5).joined(separator: ", ")))") }
        if unmatchedParticipants > 0 { failures.append("\(unmatchedParticipants) participants without a logged send") }
        if settled.isEmpty {
            failures.append("no RSS samples after warm-up")
        } else if rssSpread > rssTolerance {
            failures.append("RSS per-round peaks after warm-up spread \(f(rssSpread * 100, 1)) % > \(f(rssTolerance * 100, 0)) %")
        }
        let settledDescriptors = descriptorsPerRound.filter { $0.key > warmupRounds }.map(\.value)
        if let first = descriptorsPerRound[warmupRounds + 1], let most = settledDescriptors.max(), most > first + 5 {
            failures.append("descriptors grew after warm-up: \(first) → \(most)")
        }
    }

    func text(wallSeconds: Double, clientRSS: (round: Int, mb: Double)?) -> String {
        let settledRSS = peakRSSPerRound.filter { $0.key > warmupRounds }.map(\.value)
        let settledFD = descriptorsPerRound.filter { $0.key > warmupRounds }.map(\.value)
        func mb(_ kb: Int?) -> String { kb.map { f(Double($0) / 1024, 1) } ?? "?" }
        var lines: [String] = []
        lines.append("")
        lines.append("rounds: \(roundsRecorded) of \(rounds) in \(f(wallSeconds, 0)) s wall (registration included); participants per round "
                     + "min \(participants.min() ?? 0) max \(participants.max() ?? 0) of \(clients); stragglers \(stragglers); refused \(refused)")
        lines.append("round time (durations_ms.total): median \(f(Stats.median(roundTotals), 0)) ms, p90 \(f(Stats.percentile(roundTotals, 0.9), 0)) ms, "
                     + "max \(f(roundTotals.max() ?? .nan, 0)) ms; medians: broadcast \(f(Stats.median(broadcast), 0)), collect \(f(Stats.median(collect), 0)), "
                     + "attribution \(f(Stats.median(attribution), 0)) ms")
        lines.append("coordinator RSS (peak per round): round 1 \(mb(peakRSSPerRound[1])) MB, end of warm-up (round \(warmupRounds)) "
                     + "\(mb(peakRSSPerRound[warmupRounds])) MB; after warm-up min \(mb(settledRSS.min())) max \(mb(settledRSS.max())) MB, "
                     + "spread \(f(rssSpread * 100, 1)) %, trend \(f(rssGrowthPerRoundKB, 1)) KB/round")
        lines.append("coordinator descriptors (max per round): round 1 \(descriptorsPerRound[1] ?? 0), after warm-up min \(settledFD.min() ?? 0) "
                     + "max \(settledFD.max() ?? 0), last round \(descriptorsPerRound[rounds] ?? 0); soft limit after its raise \(descriptorLimit); "
                     + "threads max \(threadsMax); CPU \(f(coordinatorCPU, 1)) s")
        if let clientRSS {
            lines.append("client processes: \(f(clientRSS.mb, 0)) MB RSS together after round \(clientRSS.round) (\(f(clientRSS.mb / Double(clients), 1)) MB each)")
        }
        lines.append("updates: \(sent) logged as sent by clients; \(taken) taken in their round, \(late) logged late, \(refusedSent) refused, "
                     + "\(unaccounted.count) unaccounted for; \(unmatchedParticipants) participants without a logged send")
        lines.append("ledger: \(ledger)")
        lines.append(failures.isEmpty ? "checks: all passed" : "checks FAILED: " + failures.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }

    func json(wallSeconds: Double, clientRSSMB: Double?) throws -> String {
        let settledRSS = peakRSSPerRound.filter { $0.key > warmupRounds }.map(\.value)
        let object: [String: Any] = [
            "clients": clients, "rounds": rounds, "rounds_recorded": roundsRecorded, "wall_seconds": wallSeconds,
            "round_ms": ["median": Stats.median(roundTotals), "p90": Stats.percentile(roundTotals, 0.9),
                         "max": roundTotals.max() ?? 0, "collect_median": Stats.median(collect),
                         "attribution_median": Stats.median(attribution)],
            "rss_kb": ["round_1": peakRSSPerRound[1] ?? 0, "settled_min": settledRSS.min() ?? 0, "settled_max": settledRSS.max() ?? 0,
                       "spread": rssSpread, "trend_kb_per_round": rssGrowthPerRoundKB],
            "descriptors_per_round": descriptorsPerRound.sorted { $0.key < $1.key }.map(\.value),
            "rss_kb_per_round": peakRSSPerRound.sorted { $0.key < $1.key }.map(\.value),
            "descriptor_limit": descriptorLimit, "coordinator_cpu_seconds": coordinatorCPU, "client_rss_mb": clientRSSMB ?? 0,
            "updates": ["sent": sent, "taken": taken, "late": late, "refused": refusedSent, "unaccounted": unaccounted.count],
            "stragglers": stragglers, "ledger": ledger, "failures": failures,
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self)
    }

    static func lines(_ path: String) -> [Substring] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n")
    }

    /// A bare logfmt value (`key=value` up to the next space).
    static func field(_ key: String, _ line: Substring) -> Substring? {
        guard let range = line.range(of: " \(key)=") else { return nil }
        return line[range.upperBound...].prefix { $0 != " " }
    }

    /// Least-squares slope of y on x.
    static func slope(_ points: [(Double, Double)]) -> Double {
        guard points.count > 1 else { return 0 }
        let mx = points.map(\.0).reduce(0, +) / Double(points.count), my = points.map(\.1).reduce(0, +) / Double(points.count)
        let sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        return sxx > 0 ? sxy / sxx : 0
    }
}
