import ArgumentParser
import Federation
import Foundation

/// `fedattr settings`: every setting with its flag, environment variable, config key and default; with `--resolve`,
/// the value each setting takes from the given flags, the environment and `--config`, and where it came from.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "List every setting: flag, FEDATTR_* variable, config-file key, default (Markdown table).",
        discussion: "With --resolve, print the effective value and source of every setting (logfmt), as a command given the same flags, environment and --config would read them.")

    @Flag(help: "Print each setting's effective value and its source instead of the table.") var resolve = false
    @OptionGroup var shared: SharedOptions
    @OptionGroup var federation: FederationOptions
    @OptionGroup var pki: PKIOptions
    @OptionGroup var coordinator: CoordinatorOptions
    @OptionGroup var client: ClientOptions
    @OptionGroup var attack: AttackOptions

    func run() throws {
        guard resolve else {
            print(SettingsTable.markdown())
            return
        }
        let flags = [shared.flags, federation.flags, pki.flags, coordinator.flags, client.flags, attack.flags].reduce(into: [:]) { $0.merge($1) { $1 } }
        let settings = try Settings(flags: flags, configFile: shared.config)
        for setting in Setting.catalog {
            let value = settings.string(setting).map { "\"\($0)\"" } ?? "-"
            print("setting=\(setting.name) value=\(value) source=\"\(settings.source(setting)?.description ?? "unset")\"")
        }
    }
}
