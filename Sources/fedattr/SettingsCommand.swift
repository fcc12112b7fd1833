import ArgumentParser
import Federation

/// `fedattr settings`: every setting with its flag, environment variable, config key and default.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "List every setting: flag, FEDATTR_* variable, config-file key, default (Markdown table).")

    func run() throws {
        print(SettingsTable.markdown())
    }
}
