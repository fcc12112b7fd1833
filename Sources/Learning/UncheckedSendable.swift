/// A value handed to the parts of a parallel loop that only read it (or write through it in disjoint places);
/// whoever wraps it vouches for that.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
