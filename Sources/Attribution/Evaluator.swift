/// Scores every participant of a round; may keep state across rounds.
public protocol Evaluator: AnyObject, Sendable {
    var name: String { get }
    /// One value per client of `input`, in the order of `input.clients`.
    func evaluate(_ input: RoundInput) throws -> [Double]
}
