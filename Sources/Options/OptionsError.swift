/// Why a `name(key=value;…)` item was refused; each case names the item or option and what is valid.
public enum OptionsError: Error, Equatable, CustomStringConvertible {
    case malformed(item: String, reason: String)
    case unknownName(name: String, known: [String])
    case unknownOption(policy: String, option: String, known: [String])
    case invalidValue(policy: String, option: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .malformed(item, reason):
            return "'\(item)' is not name or name(key=value;…): \(reason)"
        case let .unknownName(name, known):
            return "unknown name '\(name)'; valid: \(known.joined(separator: ", "))"
        case let .unknownOption(policy, option, known):
            return "\(policy) has no option '\(option)'; valid: \(known.isEmpty ? "none" : known.joined(separator: ", "))"
        case let .invalidValue(policy, option, value, expected):
            return "\(policy): \(option)=\(value) is out of range; expected \(expected)"
        }
    }
}
