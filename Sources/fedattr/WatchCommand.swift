import ArgumentParser
import Federation
import Foundation

/// `fedattr watch DIR`: follows a run directory and shows the attribution block of each new round.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow a run directory (rounds.jsonl, attribution.jsonl) and show each round's attribution standings.",
        discussion: "On a terminal the screen is redrawn with the latest round; otherwise one block per round is appended. Ends when the run's summary.json appears.")

    @Argument(help: "Run directory written by a coordinator (its --out).") var directory: String
    @Option(help: "Evaluator to show: auto (shapley-exact up to 14 participants, else gtg-shapley) or any evaluator in the run.")
    var evaluator = "auto"
    @Option(help: "Seconds between checks of the files.") var interval: Double = 1
    @Flag(help: "Show the latest round once and exit.") var once = false

    func run() throws {
        guard interval > 0, interval.isFinite else { throw ValidationError("--interval must be a positive number of seconds") }
        let redraw = isatty(STDOUT_FILENO) == 1 && !once
        var shown = 0
        var failedReads = 0
        while true {
            let finished = FileManager.default.fileExists(atPath: RunLayout(directory: directory).summary)
            // A line may be half-written while the coordinator appends it: such a read is retried on the next tick. A
            // finished run that cannot be read is an error; a live one is retried, and said so after three failed ticks.
            let read = Result { try RunReport(directory: directory) }
            if case let .failure(error) = read {
                failedReads += 1
                if finished || once { throw error }
                if failedReads == 3 {
                    FileHandle.standardError.write(Data("fedattr watch: cannot read \(directory) yet (\(error)); still trying every \(interval) s\n".utf8))
                }
            } else {
                failedReads = 0
            }
            if case let .success(report) = read {
                if evaluator != AttributionBlock.automatic, !report.evaluators.contains(evaluator) {
                    throw ValidationError("\(directory) has no values of \(evaluator); it has \(report.evaluators.joined(separator: ", "))")
                }
                let latest = report.rounds.last?.round ?? 0
                let wanted = once || redraw ? (latest > shown ? [latest] : []) : Array(report.rounds.map(\.round).filter { $0 > shown })
                for round in wanted {
                    guard let block = AttributionBlock.from(report: report, round: round, choice: evaluator) else { continue }
                    var text = block.text
                    if redraw { text = "\u{1B}[H\u{1B}[2J" + "\(directory)\n" + text }
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
                shown = max(shown, latest)
                if once {
                    if shown == 0 { throw ValidationError("\(directory) has no scored round yet") }
                    return
                }
            }
            if finished { return }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
