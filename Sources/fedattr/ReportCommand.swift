import ArgumentParser
import Experiment
import Federation
import Foundation

/// `fedattr report DIR`: for a run, CSV, SVG plots, final standings and report.html; for an experiment (DIR holds
/// experiment.json), results.md, results.csv and report.html.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report on a run (CSV, SVG plots, standings, report.html) or an experiment (results.md/.csv, report.html).")

    @Argument(help: "Run directory (holds rounds.jsonl and attribution.jsonl) or experiment directory (holds experiment.json).") var directory: String
    @Option(help: "Where to write a run's CSV and SVG files (default: DIR/report).") var out: String?
    @Option(help: "Client drawn as the attacker in a run's report.html (default: the experiment's, for a run inside one).") var attacker: String?
    @Option(help: "Evaluators reported as attribution-robust candidates in an experiment's results.md.") var robust = "large-coalition-shapley,excess-clipped-shapley,class-supported-shapley"

    func run() throws {
        if FileManager.default.fileExists(atPath: directory + "/" + ExperimentPlan.fileName) {
            let results = try ExperimentResults(directory: directory)
            let written = try ResultsWriter.write(results, to: directory, robust: robust.split(separator: ",").map(String.init))
            let html = try HTMLReport.write(directory: directory)
            print("wrote \((written + [html]).joined(separator: ", "))")
            return
        }
        let report = try RunReport(directory: directory)
        let target = out ?? RunLayout(directory: directory).report
        let files = try report.write(to: target)
        // A run inside an experiment knows its attacker from the experiment's plan (DIR/../../experiment.json).
        let parent = URL(fileURLWithPath: directory).deletingLastPathComponent().deletingLastPathComponent().path
        let plan = try? ExperimentPlan.read(from: parent)
        let condition = URL(fileURLWithPath: directory).deletingLastPathComponent().lastPathComponent
        let who = attacker ?? (plan != nil && ExperimentPlan.isAttack(condition) ? plan?.attacker : nil)
        let html = try HTMLReport.write(directory: directory, attacker: who)
        print(report.standings())
        print("wrote \(files.count) files to \(target)/: \(files.joined(separator: ", ")); \(html)")
    }
}
