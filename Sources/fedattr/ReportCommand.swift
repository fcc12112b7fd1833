import ArgumentParser
import Federation

/// `fedattr report DIR`: CSV, SVG plots and final standings of a run.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write CSV files and SVG plots of a run (accuracy, cumulative attribution) and print the final standings.")

    @Argument(help: "Run directory (holds rounds.jsonl and attribution.jsonl).") var directory: String
    @Option(help: "Where to write the report (default: DIR/report).") var out: String?

    func run() throws {
        let report = try RunReport(directory: directory)
        let target = out ?? RunLayout(directory: directory).report
        let files = try report.write(to: target)
        print(report.standings())
        print("wrote \(files.count) files to \(target)/: \(files.joined(separator: ", "))")
    }
}
