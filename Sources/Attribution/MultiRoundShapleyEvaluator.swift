import Foundation

/// Multi-round reconstruction Shapley (Song et al., 2019, MR): exact per-round Shapley φ_t of the round game,
/// reported as λ_t·φ_t with λ_t = decay^(t − first round seen) (decay 1 = uniform), and accumulated per client.
public final class MultiRoundShapleyEvaluator: StatefulEvaluator, @unchecked Sendable {
    public let name = "mr-shapley"
    public let decay: Double
    public let maxPlayers: Int
    public var playerLimit: Int? { maxPlayers }
    // Unchecked Sendable: `firstRound` and `totals` are only touched under `lock`.
    private let lock = NSLock()
    private var firstRound: Int?
    private var totals: [String: Double] = [:]

    public init(decay: Double = 1, maxPlayers: Int = ExactShapleyEvaluator.playerLimit) {
        self.decay = decay
        self.maxPlayers = min(maxPlayers, ExactShapleyEvaluator.playerLimit)
    }

    /// The accumulated Σ_t λ_t·φ_t per client so far.
    public var accumulated: [String: Double] {
        lock.lock()
        defer { lock.unlock() }
        return totals
    }

    /// λ_t for a round, fixing the first round on first use.
    public func roundWeight(_ round: Int) -> Double {
        lock.lock()
        defer { lock.unlock() }
        let start = firstRound ?? round
        return pow(decay, Double(round - start))
    }

    /// What carries over between rounds: the first round seen (λ_t's origin) and the running totals.
    private struct State: Codable {
        var firstRound: Int?
        var totals: [String: Double]
    }

    public func checkpointState() throws -> String {
        lock.lock()
        let state = State(firstRound: firstRound, totals: totals)
        lock.unlock()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(state), as: UTF8.self)
    }

    public func restore(checkpointState text: String) throws {
        let state: State
        do { state = try JSONDecoder().decode(State.self, from: Data(text.utf8)) } catch {
            throw AttributionError.invalidState(evaluator: name, reason: "\(error)")
        }
        guard state.totals.values.allSatisfy(\.isFinite) else {
            throw AttributionError.invalidState(evaluator: name, reason: "a total is not finite")
        }
        lock.lock()
        firstRound = state.firstRound
        totals = state.totals
        lock.unlock()
    }

    public func evaluate(_ input: RoundInput) throws -> [Double] {
        try input.validate(for: name)
        let n = input.game.playerCount
        let table = try CoalitionTable.values(of: input.game, evaluator: name, limit: maxPlayers)
        let phi = CoalitionTable.shapley(table, playerCount: n)
        lock.lock()
        defer { lock.unlock() }
        if firstRound == nil { firstRound = input.round }
        let lambda = pow(decay, Double(input.round - firstRound!))
        let weighted = phi.map { lambda * $0 }
        for (client, value) in zip(input.clients, weighted) {
            totals[client, default: 0] += value
        }
        return weighted
    }
}
