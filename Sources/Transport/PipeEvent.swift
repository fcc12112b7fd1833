/// A connection (pipe) joining or leaving a socket, after nng has attached or detached it.
public enum PipeEvent: Sendable, Equatable, CustomStringConvertible {
    case added
    case removed

    public var description: String {
        switch self {
        case .added: "added"
        case .removed: "removed"
        }
    }
}
