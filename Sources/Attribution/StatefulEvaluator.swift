import Foundation

/// An evaluator whose values depend on the rounds it has seen before (mr-shapley's first round and running totals):
/// the coordinator keeps its state in the checkpoint after every round, so `--resume` continues it instead of
/// starting it afresh.
public protocol StatefulEvaluator: Evaluator {
    /// The state after the rounds evaluated so far, as JSON text.
    func checkpointState() throws -> String
    /// Replaces the state with one `checkpointState()` wrote; throws on text that is not such a state.
    func restore(checkpointState: String) throws
}

extension StatefulEvaluator {
    /// `state` as JSON text with sorted keys: what `checkpointState()` returns.
    func encodeState<State: Encodable>(_ state: State) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(state), as: UTF8.self)
    }

    /// `text` decoded as `State`, refused (`AttributionError.invalidState` naming this evaluator) when it does not
    /// decode or one of the numbers `totals` picks out is not finite.
    func decodeState<State: Decodable>(_ text: String, as type: State.Type, totals: (State) -> [Double]) throws -> State {
        let state: State
        do { state = try JSONDecoder().decode(State.self, from: Data(text.utf8)) } catch {
            throw AttributionError.invalidState(evaluator: name, reason: "\(error)")
        }
        guard totals(state).allSatisfy(\.isFinite) else {
            throw AttributionError.invalidState(evaluator: name, reason: "a total is not finite")
        }
        return state
    }
}
