import Federation
import Foundation

/// An experiment's results, computed from the raw per-run files only (rounds.jsonl, attribution.jsonl and the
/// plan in experiment.json): attribution distributions over seeds, paired effects against the honest runs,
/// client-level distributional influence from leave-one-client-out runs, and the robustness of each evaluator.
public struct ExperimentResults: Sendable {
    /// What one complete run left behind.
    public struct RunData: Sendable {
        public var condition: String
        public var seed: Int
        public var testAccuracy: Double
        public var testLoss: Double
        /// evaluator → client → cumulative attribution after the last round.
        public var cumulative: [String: [String: Double]]
        public var clients: [String]
        public var rounds: [RoundRecord]
    }

    /// A summary over seeds of one quantity.
    public struct Distribution: Sendable {
        public var n: Int
        public var mean, sd, q05, q50, q95: Double

        public init(_ x: [Double]) {
            n = x.count
            mean = Statistics.mean(x)
            sd = Statistics.standardDeviation(x)
            q05 = Statistics.quantile(x, 0.05)
            q50 = Statistics.quantile(x, 0.5)
            q95 = Statistics.quantile(x, 0.95)
        }
    }

    /// A paired effect of a condition against the baseline over the seeds both completed.
    public struct PairedEffect: Sendable {
        public var differences: [Double]
        public var mean: Double
        public var ciLow, ciHigh: Double
        public var wilcoxonP: Double

        public init(_ d: [Double]) {
            differences = d
            mean = Statistics.mean(d)
            (ciLow, ciHigh) = Statistics.bootstrapMeanInterval(d)
            wilcoxonP = Statistics.wilcoxonSignedRank(d).p
        }
    }

    public let plan: ExperimentPlan
    public let runs: [RunData]
    /// Runs of the plan without a complete record (missing or interrupted), as `condition/seed-k`.
    public let incomplete: [String]
    public let evaluators: [String]
    public let clients: [String]

    /// The reference evaluator robustness is measured against.
    public static let reference = "shapley-exact"

    /// Reads every run of the plan in `directory`; incomplete runs are listed, not used.
    public init(directory: String) throws {
        plan = try ExperimentPlan.read(from: directory)
        var runs: [RunData] = []
        var incomplete: [String] = []
        for run in plan.runs {
            let path = directory + "/" + run.path
            guard let report = try? RunReport(directory: path), report.rounds.count == plan.rounds,
                  let last = report.rounds.last else {
                incomplete.append(run.path)
                continue
            }
            var cumulative: [String: [String: Double]] = [:]
            var lastRound: [String: Int] = [:]
            for s in report.scores where s.round >= lastRound["\(s.evaluator)|\(s.client)", default: 0] {
                lastRound["\(s.evaluator)|\(s.client)"] = s.round
                cumulative[s.evaluator, default: [:]][s.client] = s.cumulative
            }
            runs.append(RunData(condition: run.condition, seed: run.seed, testAccuracy: last.testAccuracy,
                                testLoss: last.testLoss, cumulative: cumulative, clients: report.clients, rounds: report.rounds))
        }
        self.runs = runs
        self.incomplete = incomplete
        var evaluators: [String] = []
        for r in runs { for e in r.cumulative.keys.sorted() where !evaluators.contains(e) { evaluators.append(e) } }
        self.evaluators = evaluators
        clients = (0..<plan.clients).map { "client-\($0)" }
    }

    public var baseline: String? {
        plan.conditions.contains(ExperimentPlan.honest) ? ExperimentPlan.honest : plan.conditions.first
    }

    public func runs(_ condition: String) -> [RunData] { runs.filter { $0.condition == condition }.sorted { $0.seed < $1.seed } }

    /// Per-seed cumulative attribution, positive share and rank (1 = highest) of `client` under `evaluator`.
    public func perSeed(_ condition: String, evaluator: String, client: String) -> (cumulative: [Double], share: [Double], rank: [Double]) {
        var c: [Double] = [], s: [Double] = [], r: [Double] = []
        for run in runs(condition) {
            guard let table = run.cumulative[evaluator], let value = table[client] else { continue }
            let names = table.keys.sorted()
            let values = names.map { table[$0]! }
            let i = names.firstIndex(of: client)!
            c.append(value)
            s.append(Statistics.positiveShares(values)[i])
            r.append(Double(Statistics.descendingRanks(values)[i]))
        }
        return (c, s, r)
    }

    /// Seeds present in both conditions, with the two runs.
    func pairs(_ condition: String, _ baseline: String) -> [(RunData, RunData)] {
        let base = Dictionary(uniqueKeysWithValues: runs(baseline).map { ($0.seed, $0) })
        return runs(condition).compactMap { r in base[r.seed].map { (r, $0) } }
    }

    /// Kendall τ between two score tables over `clients` (those present in both).
    static func tau(_ a: [String: Double], _ b: [String: Double], clients: [String]) -> Double? {
        let shared = clients.filter { a[$0] != nil && b[$0] != nil }
        guard shared.count > 1 else { return nil }
        return Statistics.kendallTau(shared.map { a[$0]! }, shared.map { b[$0]! })
    }

    /// The attacker's effect under `evaluator`: paired differences (condition − baseline) of cumulative attribution
    /// and positive share, how often it ranks first in each, and the Kendall τ of the benign clients' ranking.
    public struct AttackEffect: Sendable {
        public var condition, evaluator: String
        public var cumulative: PairedEffect
        public var share: PairedEffect
        public var shareBaseline: Double
        public var shareCondition: Double
        public var firstRankCondition: Double
        public var firstRankBaseline: Double
        public var benignTau: Distribution
        public var accuracy: PairedEffect
        /// Relative rise of the attacker's mean share: shareCondition / shareBaseline − 1.
        public var shareRise: Double { shareBaseline > 0 ? shareCondition / shareBaseline - 1 : .nan }
    }

    public func attackEffect(_ condition: String, evaluator: String) -> AttackEffect? {
        guard let baseline, condition != baseline else { return nil }
        let pairs = self.pairs(condition, baseline).filter { $0.0.cumulative[evaluator] != nil && $0.1.cumulative[evaluator] != nil }
        guard !pairs.isEmpty else { return nil }
        let attacker = plan.attacker
        func stats(_ run: RunData) -> (value: Double, share: Double, first: Bool) {
            let table = run.cumulative[evaluator]!
            let names = table.keys.sorted()
            let values = names.map { table[$0]! }
            guard let i = names.firstIndex(of: attacker) else { return (.nan, .nan, false) }
            return (values[i], Statistics.positiveShares(values)[i], Statistics.descendingRanks(values)[i] == 1)
        }
        let a = pairs.map { stats($0.0) }, b = pairs.map { stats($0.1) }
        let benign = clients.filter { $0 != attacker }
        let taus = pairs.compactMap { Self.tau($0.0.cumulative[evaluator]!, $0.1.cumulative[evaluator]!, clients: benign) }
        return AttackEffect(
            condition: condition, evaluator: evaluator,
            cumulative: PairedEffect(zip(a, b).map { $0.value - $1.value }),
            share: PairedEffect(zip(a, b).map { $0.share - $1.share }),
            shareBaseline: Statistics.mean(b.map(\.share)), shareCondition: Statistics.mean(a.map(\.share)),
            firstRankCondition: Double(a.filter(\.first).count) / Double(a.count),
            firstRankBaseline: Double(b.filter(\.first).count) / Double(b.count),
            benignTau: Distribution(taus),
            accuracy: PairedEffect(pairs.map { $0.0.testAccuracy - $0.1.testAccuracy }))
    }

    /// How far `evaluator`'s benign ranking is from exact Shapley's in the same runs of `condition` (Kendall τ per run).
    public func tauToReference(_ condition: String, evaluator: String) -> Distribution? {
        let benign = clients.filter { $0 != plan.attacker }
        let taus = runs(condition).compactMap { r -> Double? in
            guard let a = r.cumulative[evaluator], let b = r.cumulative[Self.reference] else { return nil }
            return Self.tau(a, b, clients: benign)
        }
        return taus.isEmpty ? nil : Distribution(taus)
    }

    /// Client-level distributional influence: test loss and accuracy over seeds without `client` vs with everyone.
    public struct Influence: Sendable {
        public var client: String
        public var quantity: String
        public var with: Distribution
        public var without: Distribution
        /// mean(without) − mean(with)
        public var meanShift: Double
        /// var(without) / var(with)
        public var varianceRatio: Double
        public var wasserstein: Double
    }

    public func influences() -> [Influence] {
        guard let baseline else { return [] }
        var out: [Influence] = []
        for condition in plan.conditions {
            guard let client = ExperimentPlan.absentClient(condition) else { continue }
            let without = runs(condition), with = runs(baseline)
            guard !without.isEmpty, !with.isEmpty else { continue }
            for (name, read) in [("test_loss", \RunData.testLoss), ("test_accuracy", \RunData.testAccuracy)] {
                let a = with.map { $0[keyPath: read] }, b = without.map { $0[keyPath: read] }
                let va = Statistics.variance(a)
                out.append(Influence(client: client, quantity: name, with: Distribution(a), without: Distribution(b),
                                     meanShift: Statistics.mean(b) - Statistics.mean(a),
                                     varianceRatio: va > 0 ? Statistics.variance(b) / va : .nan,
                                     wasserstein: Statistics.wasserstein1(a, b)))
            }
        }
        return out
    }
}
