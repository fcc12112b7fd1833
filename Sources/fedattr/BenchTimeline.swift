import Federation
import Foundation

/// The per-message timeline of a run's rounds, from the `msg=timeline` lines its processes log at debug level: each
/// step's time after the coordinator's round start (CLOCK_MONOTONIC, shared by the processes of one host) — first,
/// median and last over the clients (or updates, or pipes) that took it, each the median over the rounds.
struct BenchTimeline {
    /// (process, step) in the order a message goes through them; `next` is the next round's start.
    static let order: [(side: String, step: String, what: String)] = [
        ("coordinator", "task_encoded", "task digested and encoded"),
        ("coordinator", "broadcast_sent", "survey handed to nng (ctx send returned)"),
        ("coordinator", "pipe_sent", "task's last byte encrypted into a pipe's TLS buffer, per pipe"),
        ("client", "first_byte", "client decrypted the task's first bytes"),
        ("client", "last_byte", "client decrypted the task's last bytes"),
        ("client", "received", "client's receive returned (inbox thread)"),
        ("client", "taken", "client's worker took it"),
        ("client", "decoded", "client decoded the task (CRC, finiteness)"),
        ("client", "strategy", "strategy done (unchanged: zero update)"),
        ("client", "digested", "base + update digests"),
        ("client", "signed", "update signed (ECDSA)"),
        ("client", "encoded", "update encoded (CRC-32)"),
        ("client", "sent", "update handed to nng (ctx send returned)"),
        ("client", "pipe_sent", "update's last byte encrypted into the client's TLS buffer"),
        ("coordinator", "first_byte", "coordinator decrypted an update's first bytes, per pipe"),
        ("coordinator", "last_byte", "coordinator decrypted an update's last bytes, per pipe"),
        ("coordinator", "received", "coordinator's survey receive returned, per update"),
        ("coordinator", "taken", "round loop took the update"),
        ("coordinator", "decoded", "update decoded"),
        ("coordinator", "verified", "digest + ECDSA verify + checks done"),
        ("coordinator", "collect_end", "collect ends"),
        ("coordinator", "detected", "detectors done"),
        ("coordinator", "detections_written", "detections.jsonl lines appended"),
        ("coordinator", "aggregated", "aggregation rule done, model updated"),
        ("coordinator", "attributed", "attribution done"),
        ("coordinator", "evaluated", "validation + test evaluation done"),
        ("coordinator", "written", "round's outputs written (ledger, checkpoint, fsync)"),
        ("coordinator", "round_end", "round logged"),
        ("coordinator", "next", "next round's start"),
    ]

    /// Per (side, step): per round (first, median, last) in ms after the round start.
    private var samples: [String: [(Double, Double, Double)]] = [:]
    private(set) var rounds = 0

    mutating func add(directory: String) {
        let run = RunLayout(directory: directory)
        var files = [run.coordinatorLog]
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: run.logs)) ?? []
        files += logs.filter { $0.hasSuffix(".log") }.map { "\(run.logs)/\($0)" }
        var coordinator: [UInt64: RoundTimeline] = [:]
        var clients: [UInt64: [RoundTimeline]] = [:]
        for file in Set(files) {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                guard let t = RoundTimeline(logfmtLine: line) else { continue }
                if t.side == "coordinator" { coordinator[t.round] = t } else { clients[t.round, default: []].append(t) }
            }
        }
        for (round, c) in coordinator {
            guard let start = c.times("round_start").first else { continue }
            rounds += 1
            func add(_ key: String, _ micros: [UInt64]) {
                guard !micros.isEmpty else { return }
                let ms = micros.map { (Double($0) - Double(start)) / 1000 }.sorted()
                samples[key, default: []].append((ms.first!, Stats.median(ms), ms.last!))
            }
            for step in c.steps where step.name != "round_start" { add("coordinator/\(step.name)", step.micros) }
            if let next = coordinator[round + 1]?.times("round_start") { add("coordinator/next", next) }
            let cs = clients[round] ?? []
            let names = Set(cs.flatMap { $0.steps.map(\.name) })
            for name in names { add("client/\(name)", cs.flatMap { $0.times(name) }) }
        }
    }

    /// The table: step, first / median / last ms after the round start, what it is.
    func lines() -> [String] {
        var out = [pad("process", 12) + pad("step", 16) + pad("first", 9) + pad("median", 9) + pad("last", 9) + "what"]
        for (side, step, what) in Self.order {
            guard let s = samples["\(side)/\(step)"], !s.isEmpty else { continue }
            out.append(pad(side, 12) + pad(step, 16) + pad(f(Stats.median(s.map(\.0)), 1), 9)
                       + pad(f(Stats.median(s.map(\.1)), 1), 9) + pad(f(Stats.median(s.map(\.2)), 1), 9) + what)
        }
        return out
    }
}
