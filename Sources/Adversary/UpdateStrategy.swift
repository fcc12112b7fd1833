import Options

/// How a client turns a round's task into its update: honest local training, or an attack. A strategy is an
/// object that lives for the whole federation, so it can keep state across rounds (the models it has seen, a
/// generator, what it injected before). The client calls it from one thread, one round at a time.
public protocol UpdateStrategy: AnyObject, Sendable {
    /// The name and options it was built from, logged at start-up.
    var options: NamedOptions { get }
    /// True for every strategy but honest training and the overhead baseline; the client says so at start-up.
    var isAdversarial: Bool { get }
    /// The update (new parameters minus the global ones) for the round in `context`.
    func update(_ context: RoundContext) throws -> LocalUpdate
    /// Refuses options that cannot work on samples of `featureCount` values in `classCount` classes (a target class
    /// past the last one, a generator made for other images); in-process clusters call it before the federation starts.
    func check(featureCount: Int, classCount: Int) throws
}

extension UpdateStrategy {
    public var name: String { options.name }

    public func check(featureCount: Int, classCount: Int) throws {}
}
