import Foundation
import Synchronization

/// Multi-round reconstruction Shapley (Song et al., 2019, MR): exact per-round Shapley φ_t of the round game,
/// reported as λ_t·φ_t with λ_t = decay^(t − first round seen) (decay 1 = uniform), and accumulated per client.
public final class MultiRoundShapleyEvaluator: StatefulEvaluator {
    public let name = "mr-shapley"
    public let decay: Double
    public let maxPlayers: Int
    public var playerLimit: Int? { maxPlayers }
    private let state = Mutex(State())

    /// What carries over between rounds: the first round seen (λ_t's origin) and the running totals.
    private struct State: Codable {
        var firstRound: Int?
        var totals: [String: Double] = [:]
    }

    public init(decay: Double = 1, maxPlayers: Int = ExactShapleyEvaluator.playerLimit) {
        self.decay = decay
        self.maxPlayers = min(maxPlayers, ExactShapleyEvaluator.playerLimit)
    }

    /// The accumulated Σ_t λ_t·φ_t per client so far.
    public var accumulated: [String: Double] { state.withLock { $0.totals } }

    /// λ_t for a round, fixing the first round on first use.
    public func roundWeight(_ round: Int) -> Double {
        let start = state.withLock { $0.firstRound } ?? round
        return pow(decay, Double(round - start))
    }

    public func checkpointState() throws -> String { try encodeState(state.withLock { $0 }) }

    public func restore(checkpointState text: String) throws {
        let restored = try decodeState(text, as: State.self) { Array($0.totals.values) }
        state.withLock { $0 = restored }
    }

    public func evaluate(_ input: RoundInput) throws -> [Double] {
        let n = input.game.playerCount
        let table = try input.coalitionValues(for: name, limit: maxPlayers)
        let phi = CoalitionTable.shapley(table, playerCount: n)
        return state.withLock { s in
            if s.firstRound == nil { s.firstRound = input.round }
            let lambda = pow(decay, Double(input.round - s.firstRound!))
            let weighted = phi.map { lambda * $0 }
            for (client, value) in zip(input.clients, weighted) {
                s.totals[client, default: 0] += value
            }
            return weighted
        }
    }
}
