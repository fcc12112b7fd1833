/// What went wrong while building or running an evaluator.
public enum AttributionError: Error, CustomStringConvertible, Equatable {
    case unknownEvaluator(name: String, known: [String])
    case unknownOption(evaluator: String, option: String, known: [String])
    case invalidOption(evaluator: String, option: String, value: Double, reason: String)
    case tooManyPlayers(evaluator: String, count: Int, limit: Int)
    case inputMismatch(evaluator: String, field: String, expected: Int, found: Int)
    case unknownEvaluatorValues(name: String, known: [String])
    case invalidState(evaluator: String, reason: String)
    case missingInput(evaluator: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownEvaluator(name, known):
            return "unknown evaluator '\(name)'; known: \(known.joined(separator: ", "))"
        case let .unknownOption(evaluator, option, known):
            let list = known.isEmpty ? "none" : known.joined(separator: ", ")
            return "evaluator '\(evaluator)' has no option '\(option)'; its options: \(list)"
        case let .invalidOption(evaluator, option, value, reason):
            return "evaluator '\(evaluator)': option \(option) = \(value) is invalid: \(reason)"
        case let .tooManyPlayers(evaluator, count, limit):
            return "\(evaluator): \(count) players exceed the limit of \(limit) (the cost grows as 2^N coalition evaluations); use gtg-shapley or banzhaf sampling for larger rounds"
        case let .inputMismatch(evaluator, field, expected, found):
            return "\(evaluator): round input has \(found) \(field), expected \(expected)"
        case let .invalidState(evaluator, reason):
            return "\(evaluator): the checkpointed state cannot be restored: \(reason)"
        case let .missingInput(evaluator, reason):
            return "\(evaluator): \(reason)"
        case let .unknownEvaluatorValues(name, known):
            return "values given for evaluator '\(name)', which the book does not track; tracked: \(known.joined(separator: ", "))"
        }
    }
}
