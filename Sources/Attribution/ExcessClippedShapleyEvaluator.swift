import Foundation
import Learning
import Synchronization

/// An attribution-robust score: exact Shapley, except that the part of a client's cumulative credit that comes only
/// from small coalitions (its Shapley total minus its `large-coalition-shapley` total, the "excess") is capped at the
/// cohort's median excess plus `kappa` scaled MADs. Honest clients at or below the cap keep their Shapley totals; a
/// client that earns unusually much where few others are present (the attribution-first attack's lever) keeps only
/// its large-coalition credit plus the cap. docs/ATTRIBUTION.md has the design and its measured effect.
public final class ExcessClippedShapleyEvaluator: StatefulEvaluator {
    public let name = "excess-clipped-shapley"
    public let minFraction: Double
    public let kappa: Double
    public let maxPlayers: Int
    public var playerLimit: Int? { maxPlayers }
    private let state = Mutex(State())

    /// Per client: Shapley total, large-coalition total, and the robust total reported so far.
    private struct State: Codable {
        var shapley: [String: Double] = [:]
        var large: [String: Double] = [:]
        var reported: [String: Double] = [:]
    }

    public init(minFraction: Double = 0.5, kappa: Double = 0, maxPlayers: Int = ExactShapleyEvaluator.playerLimit) {
        self.minFraction = min(max(minFraction, 0), 1)
        self.kappa = max(kappa, 0)
        self.maxPlayers = min(maxPlayers, ExactShapleyEvaluator.playerLimit)
    }

    /// Robust totals from Shapley totals and large-coalition totals (same order): Ψ_i + min(E_i, median(E) + κ·1.4826·MAD(E))
    /// with E = Φ − Ψ.
    public static func clip(shapley: [Double], large: [Double], kappa: Double) -> [Double] {
        precondition(shapley.count == large.count, "one large-coalition total per Shapley total")
        guard !shapley.isEmpty else { return [] }
        let excess = zip(shapley, large).map { $0 - $1 }
        let center = Percentiles.median(excess)
        let spread = 1.4826 * Percentiles.median(excess.map { abs($0 - center) })
        let cap = center + kappa * spread
        return zip(large, excess).map { $0 + min($1, cap) }
    }

    /// The robust totals reported so far, per client.
    public var totals: [String: Double] { state.withLock { $0.reported } }

    public func checkpointState() throws -> String { try encodeState(state.withLock { $0 }) }

    public func restore(checkpointState text: String) throws {
        let restored = try decodeState(text, as: State.self) { Array([$0.shapley, $0.large, $0.reported].map(\.values).joined()) }
        guard Set(restored.shapley.keys) == Set(restored.large.keys), Set(restored.reported.keys) == Set(restored.shapley.keys) else {
            throw AttributionError.invalidState(evaluator: name, reason: "the three totals name different clients")
        }
        state.withLock { $0 = restored }
    }

    /// This round's value per client: the change of its robust total (so the values sum, per client, to the robust total).
    public func evaluate(_ input: RoundInput) throws -> [Double] {
        let n = input.game.playerCount
        let table = try input.coalitionValues(for: name, limit: maxPlayers)
        let phi = CoalitionTable.shapley(table, playerCount: n)
        let minSize = LargeCoalitionShapleyEvaluator.minSize(fraction: minFraction, players: n)
        let psi = CoalitionTable.largeCoalitionShapley(table, playerCount: n, minSize: minSize)
        return state.withLock { s in
            for (i, client) in input.clients.enumerated() {
                s.shapley[client, default: 0] += phi[i]
                s.large[client, default: 0] += psi[i]
            }
            let robust = Self.clip(shapley: input.clients.map { s.shapley[$0]! }, large: input.clients.map { s.large[$0]! },
                                   kappa: kappa)
            return zip(input.clients, robust).map { client, total in
                let value = total - s.reported[client, default: 0]
                s.reported[client] = total
                return value
            }
        }
    }
}
