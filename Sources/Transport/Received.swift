/// The id nng gives one connection (pipe) of a socket; stable while the connection lasts, never 0.
public typealias PipeID = UInt32

/// One message taken off a socket, with the connection it arrived on.
public struct Received: Sendable, Equatable {
    public var bytes: [UInt8]
    public var pipe: PipeID

    public init(bytes: [UInt8], pipe: PipeID) {
        self.bytes = bytes
        self.pipe = pipe
    }
}
