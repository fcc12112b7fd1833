import Federation
import Foundation

/// `fedattr report DIR` → DIR/report.html: one self-contained page (inline SVG, no scripts, no network) for a run
/// or for an experiment. Every chart is a `<figure id="…">` so that tests and readers can find it.
public enum HTMLReport {
    /// Writes report.html into `directory` (an experiment when it holds experiment.json, else a run); returns its path.
    @discardableResult
    public static func write(directory: String, attacker: String? = nil) throws -> String {
        let html: String
        if FileManager.default.fileExists(atPath: directory + "/" + ExperimentPlan.fileName) {
            html = experiment(try ExperimentResults(directory: directory), directory: directory)
        } else {
            html = try run(directory: directory, attacker: attacker)
        }
        let path = RunLayout(directory: directory).reportPage
        do { try html.write(toFile: path, atomically: true, encoding: .utf8) } catch { throw ExperimentError.cannotWrite(path) }
        return path
    }

    // MARK: One run

    public static func run(directory: String, attacker: String?) throws -> String {
        let report = try RunReport(directory: directory)
        let summary = FileManager.default.contents(atPath: RunLayout(directory: directory).summary).flatMap { try? RunJSON.decoder().decode(RunSummary.self, from: $0) }
        let last = report.rounds.last!
        var body = "<h1>fedattr run report</h1>\n<p>\(esc(directory)): \(report.rounds.count) rounds, \(report.clients.count) clients, "
        body += String(format: "final test accuracy %.4f, test loss %.4f", last.testAccuracy, last.testLoss)
        if let s = summary?.seeds { body += "; seeds: partition \(s.partition), model \(s.model), shuffle \(s.shuffle)" }
        if let attacker { body += "; attacker <b class=\"attacker\">\(esc(attacker))</b> (red)" }
        body += ".</p>\n"
        body += figure("accuracy", SVGLineChart(title: "Global model accuracy over rounds", xLabel: "round", yLabel: "accuracy", series: [
            .init(name: "test", points: report.rounds.map { (Double($0.round), $0.testAccuracy) }),
            .init(name: "validation", points: report.rounds.map { (Double($0.round), $0.validationAccuracy) }),
        ]).render())
        for e in report.evaluators {
            let series = report.clients.map { c in
                SVGLineChart.Series(name: c, points: report.scores.filter { $0.evaluator == e && $0.client == c }.map { (Double($0.round), $0.cumulative) },
                                    emphasized: c == attacker)
            }
            body += figure("cumulative-\(e)", SVGLineChart(title: "Cumulative attribution per client: \(e)", xLabel: "round",
                                                           yLabel: "cumulative value", series: series).render())
        }
        body += detections(directory: directory)
        return page(title: "fedattr run report", body: body)
    }

    /// Detector flags (detections.jsonl, when a detector ran): one table row per line, one column per key.
    static func detections(directory: String) -> String {
        guard let text = try? String(contentsOfFile: RunLayout(directory: directory).detections, encoding: .utf8) else { return "" }
        let lines = text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        guard !lines.isEmpty else { return "" }
        var keys: [String] = []
        for line in lines { for k in line.keys.sorted() where !keys.contains(k) { keys.append(k) } }
        var html = "<section class=\"detections\"><h2>Detector flags (detections.jsonl)</h2><table><tr>" + keys.map { "<th>\(esc($0))</th>" }.joined() + "</tr>\n"
        for line in lines.prefix(500) {
            html += "<tr>" + keys.map { k in "<td>\(esc(line[k].map { "\($0)" } ?? ""))</td>" }.joined() + "</tr>\n"
        }
        return html + "</table></section>\n"
    }

    // MARK: An experiment

    public static func experiment(_ r: ExperimentResults, directory: String) -> String {
        let p = r.plan
        var body = "<h1>fedattr experiment report</h1>\n<p>\(esc(directory)): \(p.conditions.count) conditions × \(p.seeds) seeds "
        body += "(\(r.runs.count) complete runs\(r.incomplete.isEmpty ? "" : ", \(r.incomplete.count) incomplete")), \(p.clients) clients, \(p.rounds) rounds; "
        body += "attacker <b class=\"attacker\">\(esc(p.attacker))</b> (red); varied seeds: \(p.vary.map(\.rawValue).joined(separator: ", ")). "
        body += "Boxes: quartiles; whiskers: 5–95 % over seeds; dots: one per seed.</p>\n"

        body += figure("accuracy-distribution", SVGDistributionPlot(
            title: "Final test accuracy over seeds", valueLabel: "test accuracy",
            groups: p.conditions.map { c in .init(label: c, values: r.runs(c).map(\.testAccuracy)) }).render())
        let curves = p.conditions.compactMap { c -> SVGLineChart.Series? in
            let runs = r.runs(c)
            guard !runs.isEmpty else { return nil }
            let points = (0..<p.rounds).map { i in
                (Double(i + 1), Statistics.mean(runs.compactMap { $0.rounds.count > i ? $0.rounds[i].testAccuracy : nil }))
            }
            return SVGLineChart.Series(name: c, points: points, emphasized: ExperimentPlan.isAttack(c))
        }
        body += figure("accuracy-rounds", SVGLineChart(title: "Mean test accuracy over rounds (mean over seeds)", xLabel: "round",
                                                      yLabel: "test accuracy", series: curves).render())

        if let base = r.baseline {
            var rows: [SVGIntervalPlot.Row] = []
            for c in p.conditions where c != base && ExperimentPlan.isAttack(c) {
                for e in r.evaluators {
                    guard let a = r.attackEffect(c, evaluator: e) else { continue }
                    rows.append(.init(label: "\(c) · \(e)", mean: a.share.mean, low: a.share.ciLow, high: a.share.ciHigh))
                }
            }
            if !rows.isEmpty {
                body += figure("paired-share", SVGIntervalPlot(
                    title: "Attacker's share, attack − \(base), paired by seed (95 % CI)",
                    valueLabel: "Δ share", rows: rows).render())
                body += effectsTable(r, base: base)
            }
        }

        for e in r.evaluators {
            var groups: [SVGDistributionPlot.Group] = []
            for c in p.conditions {
                for client in r.clients {
                    let s = r.perSeed(c, evaluator: e, client: client)
                    guard !s.cumulative.isEmpty else { continue }
                    groups.append(.init(label: "\(c) · \(client)", values: s.cumulative,
                                        highlighted: client == p.attacker && ExperimentPlan.isAttack(c)))
                }
            }
            body += figure("distribution-\(e)", SVGDistributionPlot(title: "Cumulative attribution over seeds: \(e)",
                                                                   valueLabel: "cumulative value", groups: groups).render())
        }

        let influences = r.influences()
        if !influences.isEmpty {
            body += figure("influence", SVGDistributionPlot(
                title: "Final test loss over seeds, with everyone and without each client", valueLabel: "test loss",
                groups: [.init(label: r.baseline ?? "all", values: r.runs(r.baseline ?? "").map(\.testLoss))]
                    + p.conditions.filter { ExperimentPlan.absentClient($0) != nil }.map { .init(label: $0, values: r.runs($0).map(\.testLoss)) }).render())
        }
        var flags = ""
        for run in r.runs {
            let d = detections(directory: directory + "/" + ExperimentPlan.Run(condition: run.condition, seed: run.seed).path)
            if !d.isEmpty { flags += "<h3>\(esc(run.condition))/seed-\(run.seed)</h3>" + d }
        }
        body += flags
        return page(title: "fedattr experiment report", body: body)
    }

    static func effectsTable(_ r: ExperimentResults, base: String) -> String {
        var html = "<section id=\"paired-table\"><h2>Paired effects against \(esc(base))</h2><table><tr><th>condition</th><th>evaluator</th>"
        html += "<th>Δ cumulative [95 % CI]</th><th>Wilcoxon p</th><th>share base → attack</th><th>P(rank 1) base → attack</th><th>benign Kendall τ</th><th>Δ test acc</th></tr>\n"
        for c in r.plan.conditions where c != base && ExperimentPlan.isAttack(c) {
            for e in r.evaluators {
                guard let a = r.attackEffect(c, evaluator: e) else { continue }
                html += "<tr><td>\(esc(c))</td><td>\(esc(e))</td>"
                html += String(format: "<td>%+.4f [%+.4f, %+.4f]</td><td>%.3f</td><td>%.3f → %.3f</td><td>%.2f → %.2f</td><td>%.3f</td><td>%+.4f</td></tr>\n",
                               a.cumulative.mean, a.cumulative.ciLow, a.cumulative.ciHigh, a.cumulative.wilcoxonP, a.shareBaseline,
                               a.shareCondition, a.firstRankBaseline, a.firstRankCondition, a.benignTau.mean, a.accuracy.mean)
            }
        }
        return html + "</table></section>\n"
    }

    // MARK: Page

    static func figure(_ id: String, _ svg: String) -> String {
        "<figure id=\"\(esc(id))\">\n\(svg)</figure>\n"
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(esc(title))</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1100px; }
        figure { margin: 16px 0; } .attacker { color: #d62728; }
        table { border-collapse: collapse; font-size: 12px; } td, th { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
        </style></head>
        <body>
        \(body)
        </body></html>

        """
    }

    static func esc(_ s: String) -> String { SVGText.escape(s).replacingOccurrences(of: "\"", with: "&quot;") }
}
