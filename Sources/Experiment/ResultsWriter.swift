import Foundation

/// Writes DIR/results.md (tables for people) and DIR/results.csv (one tidy table for tools) from `ExperimentResults`.
public enum ResultsWriter {
    public static let csvHeader = "table,condition,baseline,evaluator,client,quantity,n,mean,sd,q05,q50,q95,ci_low,ci_high,p_value"

    /// Writes both files into `directory`; returns their paths.
    @discardableResult
    public static func write(_ results: ExperimentResults, to directory: String, robust: [String] = []) throws -> [String] {
        let files = [("results.md", markdown(results, robust: robust)), ("results.csv", csv(results))]
        for (name, text) in files {
            let path = directory + "/" + name
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw ExperimentError.cannotWrite(path)
            }
        }
        return files.map { directory + "/" + $0.0 }
    }

    // MARK: CSV

    public static func csv(_ r: ExperimentResults) -> String {
        var rows = [csvHeader]
        func row(_ table: String, _ condition: String, _ baseline: String, _ evaluator: String, _ client: String, _ quantity: String,
                 _ d: ExperimentResults.Distribution? = nil, n: Int? = nil, mean: Double? = nil,
                 ci: (Double, Double)? = nil, p: Double? = nil) {
            let cells: [String] = [
                table, condition, baseline, evaluator, client, quantity, "\(n ?? d?.n ?? 0)", num(mean ?? d?.mean),
                num(d?.sd), num(d?.q05), num(d?.q50), num(d?.q95), num(ci?.0), num(ci?.1), num(p),
            ]
            rows.append(cells.joined(separator: ","))
        }
        for c in r.plan.conditions {
            let runs = r.runs(c)
            guard !runs.isEmpty else { continue }
            row("accuracy", c, "", "", "", "test_accuracy", .init(runs.map(\.testAccuracy)))
            row("accuracy", c, "", "", "", "test_loss", .init(runs.map(\.testLoss)))
            for e in r.evaluators {
                for client in r.clients {
                    let s = r.perSeed(c, evaluator: e, client: client)
                    guard !s.cumulative.isEmpty else { continue }
                    row("attribution", c, "", e, client, "cumulative", .init(s.cumulative))
                    row("attribution", c, "", e, client, "positive_share", .init(s.share))
                    row("attribution", c, "", e, client, "rank", .init(s.rank))
                    row("attribution", c, "", e, client, "p_rank_first", n: s.rank.count,
                        mean: Double(s.rank.filter { $0 == 1 }.count) / Double(s.rank.count))
                }
            }
        }
        if let base = r.baseline {
            for c in r.plan.conditions where c != base && ExperimentPlan.isAttack(c) {
                for e in r.evaluators {
                    guard let a = r.attackEffect(c, evaluator: e) else { continue }
                    let who = r.plan.attacker
                    row("paired", c, base, e, who, "cumulative_difference", .init(a.cumulative.differences), ci: (a.cumulative.ciLow, a.cumulative.ciHigh), p: a.cumulative.wilcoxonP)
                    row("paired", c, base, e, who, "share_difference", .init(a.share.differences), ci: (a.share.ciLow, a.share.ciHigh), p: a.share.wilcoxonP)
                    row("paired", c, base, e, who, "share_relative_rise", n: a.share.differences.count, mean: a.shareRise)
                    row("paired", c, base, e, who, "p_rank_first", n: a.share.differences.count, mean: a.firstRankCondition)
                    row("paired", c, base, e, who, "p_rank_first_baseline", n: a.share.differences.count, mean: a.firstRankBaseline)
                    row("paired", c, base, e, "benign", "kendall_tau_vs_baseline", a.benignTau)
                    row("paired", c, base, "", "", "test_accuracy_difference", .init(a.accuracy.differences), ci: (a.accuracy.ciLow, a.accuracy.ciHigh), p: a.accuracy.wilcoxonP)
                }
            }
            for c in r.plan.conditions {
                for e in r.evaluators where e != ExperimentResults.reference {
                    if let t = r.tauToReference(c, evaluator: e) { row("agreement", c, "", e, "benign", "kendall_tau_vs_\(ExperimentResults.reference)", t) }
                }
            }
            for i in r.influences() {
                let c = ExperimentPlan.withoutPrefix + i.client
                row("influence", c, base, "", i.client, "\(i.quantity)_mean_shift", n: i.without.n, mean: i.meanShift)
                row("influence", c, base, "", i.client, "\(i.quantity)_variance_ratio", n: i.without.n, mean: i.varianceRatio)
                row("influence", c, base, "", i.client, "\(i.quantity)_wasserstein1", n: i.without.n, mean: i.wasserstein)
            }
        }
        return rows.joined(separator: "\n") + "\n"
    }

    static func num(_ v: Double?) -> String {
        guard let v else { return "" }
        return v.isFinite ? "\(v)" : ""
    }

    // MARK: Markdown

    public static func markdown(_ r: ExperimentResults, robust: [String]) -> String {
        let p = r.plan
        var md = "# Experiment results\n\n"
        md += "\(p.conditions.count) conditions × \(p.seeds) seeds, \(p.clients) clients, \(p.rounds) rounds; attacker \(p.attacker); "
        md += "varied seeds: \(p.vary.map(\.rawValue).joined(separator: ", ")) (base partition \(p.baseSeeds.partition), model \(p.baseSeeds.model), shuffle \(p.baseSeeds.shuffle)). "
        md += "Computed from the per-run rounds.jsonl and attribution.jsonl only; \(r.runs.count) complete runs"
        md += r.incomplete.isEmpty ? ".\n\n" : "; incomplete (left out): \(r.incomplete.joined(separator: ", ")).\n\n"
        md += "Quantiles are over seeds (5 %, 50 %, 95 %); with few seeds the outer ones are close to the extremes.\n\n"

        md += "## Final test accuracy\n\n| condition | n | mean | sd | q05 | q50 | q95 |\n|---|---|---|---|---|---|---|\n"
        for c in p.conditions {
            let runs = r.runs(c)
            guard !runs.isEmpty else { continue }
            let d = ExperimentResults.Distribution(runs.map(\.testAccuracy))
            md += "| \(c) | \(d.n) | \(f(d.mean)) | \(f(d.sd)) | \(f(d.q05)) | \(f(d.q50)) | \(f(d.q95)) |\n"
        }

        if let base = r.baseline {
            let attacks = p.conditions.filter { $0 != base && ExperimentPlan.isAttack($0) }
            if !attacks.isEmpty {
                md += "\n## Attacker (\(p.attacker)) against `\(base)`, paired by seed\n\n"
                md += "Δ = condition − \(base) per seed; 95 % percentile-bootstrap interval of the mean Δ; Wilcoxon signed-rank p (two-sided). "
                md += "Share = the attacker's part of the positive cumulative attribution. τ = Kendall τ of the benign clients' ranking between the paired runs.\n\n"
                md += "| condition | evaluator | Δ cumulative [95 % CI] | p | share base → attack (rise) | Δ share [95 % CI] | p | P(rank 1) base → attack | benign τ mean (sd) | Δ test acc [95 % CI] |\n"
                md += "|---|---|---|---|---|---|---|---|---|---|\n"
                for c in attacks {
                    for e in r.evaluators {
                        guard let a = r.attackEffect(c, evaluator: e) else { continue }
                        md += "| \(c) | \(e) | \(f(a.cumulative.mean)) [\(f(a.cumulative.ciLow)), \(f(a.cumulative.ciHigh))] | \(f(a.cumulative.wilcoxonP, 3)) "
                        md += "| \(f(a.shareBaseline, 3)) → \(f(a.shareCondition, 3)) (\(pct(a.shareRise))) | \(f(a.share.mean)) [\(f(a.share.ciLow)), \(f(a.share.ciHigh))] | \(f(a.share.wilcoxonP, 3)) "
                        md += "| \(f(a.firstRankBaseline, 2)) → \(f(a.firstRankCondition, 2)) | \(f(a.benignTau.mean, 3)) (\(f(a.benignTau.sd, 3))) "
                        md += "| \(f(a.accuracy.mean)) [\(f(a.accuracy.ciLow)), \(f(a.accuracy.ciHigh))] |\n"
                    }
                }
            }
            let candidates = robust.filter(r.evaluators.contains)
            if !candidates.isEmpty, r.evaluators.contains(ExperimentResults.reference) {
                md += "\n## Attribution-robust evaluators against exact Shapley\n\n"
                md += "Goal: the attacker's share rises < 10 % under the robust evaluator while the benign clients' ranking keeps Kendall τ ≥ 0.8 to exact Shapley's (same runs).\n\n"
                md += "| condition | evaluator | attacker share rise | exact Shapley's rise | benign τ to exact Shapley mean (q05) | goal |\n|---|---|---|---|---|---|\n"
                for c in attacks {
                    guard let ref = r.attackEffect(c, evaluator: ExperimentResults.reference) else { continue }
                    for e in candidates {
                        guard let a = r.attackEffect(c, evaluator: e), let t = r.tauToReference(c, evaluator: e) else { continue }
                        let met = a.shareRise < 0.10 && t.mean >= 0.8
                        md += "| \(c) | \(e) | \(pct(a.shareRise)) | \(pct(ref.shareRise)) | \(f(t.mean, 3)) (\(f(t.q05, 3))) | \(met ? "met" : "missed") |\n"
                    }
                }
                if let t = r.tauToReference(base, evaluator: candidates[0]) {
                    md += "\nIn `\(base)` runs the benign τ of \(candidates[0]) to exact Shapley is \(f(t.mean, 3)) (sd \(f(t.sd, 3))).\n"
                }
            }
            let influences = r.influences()
            if !influences.isEmpty {
                md += "\n## Client-level distributional influence (leave-one-client-out)\n\n"
                md += "Per client: final test loss and accuracy over seeds without the client vs with everyone (`\(base)`). "
                md += "Mean shift = mean(without) − mean(with); variance ratio = var(without) / var(with); W₁ = 1-D Wasserstein distance.\n\n"
                md += "| client | quantity | with mean (sd) | without mean (sd) | mean shift | variance ratio | W₁ |\n|---|---|---|---|---|---|---|\n"
                for i in influences {
                    md += "| \(i.client) | \(i.quantity) | \(f(i.with.mean)) (\(f(i.with.sd))) | \(f(i.without.mean)) (\(f(i.without.sd))) | \(f(i.meanShift)) | \(f(i.varianceRatio, 3)) | \(f(i.wasserstein)) |\n"
                }
            }
        }

        for e in r.evaluators {
            md += "\n## Cumulative attribution over seeds: \(e)\n\n"
            md += "| condition | client | mean | sd | q05 | q50 | q95 | share mean | rank mean | P(rank 1) |\n|---|---|---|---|---|---|---|---|---|---|\n"
            for c in p.conditions {
                for client in r.clients {
                    let s = r.perSeed(c, evaluator: e, client: client)
                    guard !s.cumulative.isEmpty else { continue }
                    let d = ExperimentResults.Distribution(s.cumulative)
                    let first = Double(s.rank.filter { $0 == 1 }.count) / Double(s.rank.count)
                    let name = client == p.attacker && ExperimentPlan.isAttack(c) ? "**\(client)** (attacker)" : client
                    md += "| \(c) | \(name) | \(f(d.mean)) | \(f(d.sd)) | \(f(d.q05)) | \(f(d.q50)) | \(f(d.q95)) | \(f(Statistics.mean(s.share), 3)) | \(f(Statistics.mean(s.rank), 2)) | \(f(first, 2)) |\n"
                }
            }
        }
        return md
    }

    static func f(_ v: Double, _ digits: Int = 4) -> String { v.isFinite ? String(format: "%.\(digits)f", v) : "–" }
    static func pct(_ v: Double) -> String { v.isFinite ? String(format: "%+.1f %%", v * 100) : "–" }
}

/// Errors of the experiment layer that name the file or setting at fault.
public enum ExperimentError: Error, CustomStringConvertible {
    case cannotWrite(String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .cannotWrite(path): return "cannot write \(path)"
        case let .invalid(reason): return reason
        }
    }
}
