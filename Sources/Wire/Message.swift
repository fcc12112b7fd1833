/// Any message of the protocol, as the codec encodes and decodes it.
public enum Message: Sendable, Equatable {
    case probe(ProbeMessage)
    case register(RegisterMessage)
    case task(TaskMessage)
    case update(UpdateMessage)
    case finish(FinishMessage)

    /// The type code written in the envelope.
    public var type: MessageType {
        switch self {
        case .probe: .probe
        case .register: .register
        case .task: .task
        case .update: .update
        case .finish: .finish
        }
    }

    /// The round written in the envelope.
    public var round: UInt64 {
        switch self {
        case .probe(let m): m.round
        case .register(let m): m.round
        case .task(let m): m.round
        case .update(let m): m.round
        case .finish(let m): m.round
        }
    }
}
