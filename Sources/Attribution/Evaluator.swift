/// Scores every participant of a round; may keep state across rounds.
public protocol Evaluator: AnyObject, Sendable {
    var name: String { get }
    /// The largest round it scores, for evaluators that enumerate all 2^N coalitions (they refuse larger rounds with
    /// `AttributionError.tooManyPlayers`); nil for those that score any number of players.
    var playerLimit: Int? { get }
    /// Whether it reads `RoundInput.classGames` (the coordinator then evaluates the game per validation class too).
    var readsClassGames: Bool { get }
    /// One value per client of `input`, in the order of `input.clients`.
    func evaluate(_ input: RoundInput) throws -> [Double]
}

extension Evaluator {
    public var playerLimit: Int? { nil }
    public var readsClassGames: Bool { false }
}
