import Adversary
import Options

/// Which client of a local cluster (`up`, `simulate`, experiments) attacks, and with what; every other client is honest.
public struct AttackPlan: Sendable, Equatable {
    public var attacker: String
    public var attack: NamedOptions

    public init(attacker: String, attack: NamedOptions) {
        self.attacker = attacker
        self.attack = attack
    }

    /// Reads `attacker` and `attack`; nil when neither is set (or the attack is `none`). An attacker without an
    /// attack, an attack without an attacker, or an attacker outside client-0…client-(clients−1) is refused.
    public static func from(settings s: Settings, clients: Int) throws -> AttackPlan? {
        let attackText = s.string(.attack)
        let attacker = s.string(.attacker)
        if attacker == nil, attackText == nil || attackText == "none" { return nil }
        guard let attacker else {
            throw s.invalid(.attack, attackText ?? "", "an --attacker client-N to run it (up and simulate start every other client honest)")
        }
        guard let index = try? DataSplits.shardIndex(of: attacker), index < clients else {
            throw s.invalid(.attacker, attacker, "a client id client-0…client-\(clients - 1)")
        }
        guard attackText != nil, attackText != "none" else {
            throw s.invalid(.attacker, attacker, "to come with --attack NAME (one of \(StrategyRegistry.attackNames.joined(separator: ", ")))")
        }
        let options = try ClientConfig.strategy(settings: s)
        return AttackPlan(attacker: attacker, attack: options)
    }

    /// The attacker's shard index.
    public var attackerIndex: Int { (try? DataSplits.shardIndex(of: attacker)) ?? 0 }
}
