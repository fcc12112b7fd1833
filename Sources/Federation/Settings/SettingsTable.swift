/// Renders the settings catalog as the Markdown table in docs/CONFIG.md (`fedattr settings` prints it).
public enum SettingsTable {
    public static func markdown(_ catalog: [Setting] = Setting.catalog) -> String {
        var lines = ["| flag | environment | config key | default | read by | meaning |", "|---|---|---|---|---|---|"]
        for s in catalog {
            let roles = [Setting.Role.coordinator, .client, .cluster].filter(s.roles.contains).map { $0 == .cluster ? "up/simulate" : $0.rawValue }
            let def = s.defaultValue.map { "`\($0)`" } ?? "—"
            lines.append("| `--\(s.name)` | `\(s.environmentVariable)` | `\(s.name):` | \(def) | \(roles.joined(separator: ", ")) | \(s.help.replacingOccurrences(of: "|", with: "/")) |")
        }
        return lines.joined(separator: "\n")
    }
}
