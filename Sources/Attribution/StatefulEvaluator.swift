/// An evaluator whose values depend on the rounds it has seen before (mr-shapley's first round and running totals):
/// the coordinator keeps its state in the checkpoint after every round, so `--resume` continues it instead of
/// starting it afresh.
public protocol StatefulEvaluator: Evaluator {
    /// The state after the rounds evaluated so far, as JSON text.
    func checkpointState() throws -> String
    /// Replaces the state with one `checkpointState()` wrote; throws on text that is not such a state.
    func restore(checkpointState: String) throws
}
