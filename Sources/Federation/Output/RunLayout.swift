import Attribution
import PKI

/// The files of a run directory (`--out`), the one place their names are spelled: what the coordinator writes, what
/// `up` adds (PKI, client logs, report) and what `verify`, `report` and `bench` read.
public struct RunLayout: Sendable, Equatable {
    /// The run directory.
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// DIR/rounds.jsonl: one line per round.
    public var rounds: String { path("rounds.jsonl") }
    /// DIR/attribution.jsonl: one line per (round, evaluator, client).
    public var attribution: String { path(AttributionBook.fileName) }
    /// DIR/ledger.jsonl: the hash-chained ledger.
    public var ledger: String { path(Ledger.fileName) }
    /// DIR/ledger-seals.jsonl: the coordinator's signature on every ledger record's digest.
    public var ledgerSeals: String { path(LedgerSeals.fileName) }
    /// DIR/detections.jsonl: one line per (round, client, detector) check.
    public var detections: String { path("detections.jsonl") }
    /// DIR/summary.json
    public var summary: String { path("summary.json") }
    /// DIR/checkpoint.safetensors: the global model after the last completed round.
    public var checkpoint: String { path("checkpoint.safetensors") }
    /// DIR/ca.crt: the CA the coordinator checked client certificates against, recorded for `fedattr verify`.
    public var caCertificate: String { path("ca.crt") }
    /// DIR/coordinator.log (written by `up`; a coordinator started by hand logs where --log-file says).
    public var coordinatorLog: String { path("coordinator.log") }
    /// DIR/logs: the client logs and the daemons' standard error under `up`.
    public var logs: String { path("logs") }
    /// DIR/logs/<name>.log
    public func log(_ name: String) -> String { path("logs/\(name).log") }
    /// DIR/logs/<name>.stderr
    public func standardError(_ name: String) -> String { path("logs/\(name).stderr") }
    /// DIR/pki: the throwaway PKI of `up` and `simulate`.
    public var pki: PKILayout { PKILayout(directory: path("pki")) }
    /// DIR/report: CSV and SVG made by `fedattr report` (and at the end of `up`).
    public var report: String { path("report") }
    /// DIR/report.html: the self-contained page `fedattr report` writes for a run or an experiment.
    public var reportPage: String { path("report.html") }
    /// DIR/updates: accepted updates, with --archive-updates.
    public var updates: String { path("updates") }
    /// DIR/updates/round-NNNN-<client>.safetensors
    public func archivedUpdate(round: Int, client: String) -> String {
        let number = String(round)
        return path("updates/round-\(String(repeating: "0", count: max(0, 4 - number.count)) + number)-\(client).safetensors")
    }

    private func path(_ file: String) -> String { directory.hasSuffix("/") ? directory + file : directory + "/" + file }
}
