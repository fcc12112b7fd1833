import Logging
@testable import Federation

extension ProcessHarness {
    /// One in-process federation from `flags` (no console progress, error-level log), with the attacker the
    /// `attacker`/`attack` flags name, if any; returns the config it ran and its summary.
    @discardableResult
    static func runInProcess(_ flags: [String: String], label: String = "test") throws -> (config: CoordinatorConfig, summary: RunSummary) {
        let settings = try Settings(flags: flags, environment: [:])
        var config = try CoordinatorConfig(settings: settings)
        config.printsProgress = false
        var logger = Logger(label: label)
        logger.logLevel = .error
        let summary = try InProcessCluster.run(config: config, logger: logger,
                                               plan: try AttackPlan.from(settings: settings, clients: config.spec.clients))
        return (config, summary)
    }
}
