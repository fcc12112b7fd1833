/// File names under a PKI directory: ca.crt/ca.key, and <name>.crt, <name>.key (0600), <name>.pem (certificate + key, 0600).
public struct PKILayout: Sendable, Equatable {
    /// The name of the coordinator's credential files.
    public static let coordinatorName = "coordinator"

    /// The name of client `index`'s credential files and its common name: "client-<index>".
    public static func clientName(_ index: Int) -> String { "client-\(index)" }

    /// The PKI directory.
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// DIR/ca.crt
    public var caCertificate: String { path("ca.crt") }
    /// DIR/ca.key (mode 0600)
    public var caKey: String { path("ca.key") }
    /// DIR/<name>.crt
    public func certificate(_ name: String) -> String { path("\(name).crt") }
    /// DIR/<name>.key (mode 0600)
    public func key(_ name: String) -> String { path("\(name).key") }
    /// DIR/<name>.pem: certificate followed by its key (mode 0600), the file nng's TLS config wants.
    public func bundle(_ name: String) -> String { path("\(name).pem") }

    private func path(_ file: String) -> String { directory.hasSuffix("/") ? directory + file : directory + "/" + file }
}
