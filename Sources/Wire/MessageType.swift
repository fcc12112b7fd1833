/// The kind of a wire message, carried in the envelope header (offset 6).
public enum MessageType: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// Coordinator → clients: "who is there?", with a fresh nonce to sign.
    case probe = 1
    /// Client → coordinator: identity proof answering a probe.
    case register = 2
    /// Coordinator → clients: the global model and hyperparameters for one round.
    case task = 3
    /// Client → coordinator: the signed model update for one round.
    case update = 4
    /// Coordinator → clients: the federation is over; clients may exit.
    case finish = 5

    public var description: String {
        switch self {
        case .probe: "probe"
        case .register: "register"
        case .task: "task"
        case .update: "update"
        case .finish: "finish"
        }
    }
}
