import Federation
import Foundation

/// What an experiment runs: every condition under every seed, paired (seed k means the same partition, validation
/// set and — for the varied seeds — the same model initialisation and shuffling in every condition).
/// Saved as DIR/experiment.json so that results and reports know the design without re-reading the command line.
public struct ExperimentPlan: Sendable, Codable, Equatable {
    /// `honest` (every client honest), `without-client-N` (client N takes no part) or an attack name run by `attacker`.
    public var conditions: [String]
    /// Seed indices k = 1…seeds; run k uses base + k − 1 for every varied seed.
    public var seeds: Int
    public var attacker: String
    /// Which seeds change with k: any of partition, model, shuffle.
    public var vary: [SeedKind]
    /// Base seeds (k = 1).
    public var baseSeeds: RunSummary.Seeds
    public var clients: Int
    public var rounds: Int
    /// Every federation setting given to the experiment (flag name → value), passed to each run.
    public var settings: [String: String]

    /// The three seeds a run can vary.
    public enum SeedKind: String, Sendable, Codable, CaseIterable { case partition, model, shuffle }

    public static let honest = "honest"
    public static let withoutPrefix = "without-"
    public static let fileName = "experiment.json"

    public init(conditions: [String], seeds: Int, attacker: String, vary: [SeedKind], baseSeeds: RunSummary.Seeds,
                clients: Int, rounds: Int, settings: [String: String]) {
        self.conditions = conditions
        self.seeds = seeds
        self.attacker = attacker
        self.vary = vary
        self.baseSeeds = baseSeeds
        self.clients = clients
        self.rounds = rounds
        self.settings = settings
    }

    /// One federation of the experiment.
    public struct Run: Sendable, Hashable {
        public var condition: String
        public var seed: Int
        /// Relative to the experiment directory: `<condition's directory>/seed-<k>`.
        public var path: String { "\(ExperimentPlan.directoryName(of: condition))/seed-\(seed)" }
    }

    /// The directory of a condition's runs: the condition itself when it is a plain file name, otherwise (a `/` from a
    /// generator path, a leading dot, other characters, or over 100 bytes) a readable form of it with a digest of the
    /// whole condition appended, so that two conditions never share a directory.
    public static func directoryName(of condition: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,;=()+")
        let plain = !condition.isEmpty && condition.utf8.count <= 100 && !condition.hasPrefix(".")
            && condition.allSatisfy { allowed.contains($0) }
        if plain { return condition }
        let readable = String(condition.map { allowed.contains($0) ? $0 : "_" }.prefix(80))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, 64-bit
        for byte in condition.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return (readable.hasPrefix(".") ? "_" + readable.dropFirst() : readable) + "-" + String(hash, radix: 16)
    }

    /// Every run, seed-major so that an interrupted experiment has complete pairs for the first seeds.
    public var runs: [Run] {
        (1...max(seeds, 1)).flatMap { k in conditions.map { Run(condition: $0, seed: k) } }
    }

    /// The seeds of run `k`.
    public func seeds(of k: Int) -> RunSummary.Seeds {
        let step = UInt64(k - 1)
        return RunSummary.Seeds(partition: baseSeeds.partition &+ (vary.contains(.partition) ? step : 0),
                                model: baseSeeds.model &+ (vary.contains(.model) ? step : 0),
                                shuffle: baseSeeds.shuffle &+ (vary.contains(.shuffle) ? step : 0))
    }

    /// The client a `without-client-N` condition leaves out, if it is one.
    public static func absentClient(_ condition: String) -> String? {
        condition.hasPrefix(withoutPrefix) ? String(condition.dropFirst(withoutPrefix.count)) : nil
    }

    /// Whether `condition` has the attacker run an attack (neither honest nor leave-one-out).
    public static func isAttack(_ condition: String) -> Bool { condition != honest && absentClient(condition) == nil }

    /// The settings flags of one run: the experiment's settings with this run's seeds and output directory.
    public func flags(for run: Run, directory: String) -> [String: String] {
        var f = settings
        let s = seeds(of: run.seed)
        f[Setting.partitionSeed.name] = "\(s.partition)"
        f[Setting.modelSeed.name] = "\(s.model)"
        f[Setting.shuffleSeed.name] = "\(s.shuffle)"
        f[Setting.out.name] = directory + "/" + run.path
        if Self.absentClient(run.condition) != nil { f[Setting.minClients.name] = "\(clients - 1)" }
        return f
    }

    public func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = directory + "/" + Self.fileName
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try encoder.encode(self).write(to: URL(fileURLWithPath: path))
        } catch { throw FederationError.cannotWrite(path: path) }
    }

    public static func read(from directory: String) throws -> ExperimentPlan {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else { throw FederationError.cannotRead(path: path, reason: "missing") }
        let plan: ExperimentPlan
        do { plan = try JSONDecoder().decode(ExperimentPlan.self, from: data) } catch {
            throw FederationError.cannotRead(path: path, reason: "not an experiment plan: \(RunJSON.describe(error))")
        }
        if let problem = plan.problem { throw FederationError.cannotRead(path: path, reason: "not an experiment plan: \(problem)") }
        return plan
    }

    /// Most seeds an experiment runs per condition.
    public static let maxSeeds = 10_000

    /// What makes a plan impossible to run or read (nil when nothing does).
    var problem: String? {
        if !(1...Self.maxSeeds).contains(seeds) { return "seeds is \(seeds), expected 1...\(Self.maxSeeds)" }
        if clients < 1 || rounds < 1 { return "clients (\(clients)) and rounds (\(rounds)) must be at least 1" }
        if conditions.isEmpty || Set(conditions).count != conditions.count { return "conditions must name each condition once" }
        return nil
    }
}
