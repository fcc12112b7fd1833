import Foundation

/// The certificate directory, removed when the test process exits (written once, before any reader).
nonisolated(unsafe) private var removeAtExit: String?

/// Throw-away certificates made with the openssl CLI for the TLS tests (independent of the PKI target).
struct TestPKI: Sendable {
    let directory: String
    var caFile: String { "\(directory)/ca.crt" }
    var foreignCAFile: String { "\(directory)/foreign-ca.crt" }
    /// serverAuth, DNS SAN localhost, IP SAN 127.0.0.1.
    var serverBundle: String { "\(directory)/server.pem" }
    /// clientAuth only, DNS SAN localhost: a server presenting it must be refused.
    var clientOnlyServerBundle: String { "\(directory)/server-clientauth.pem" }
    func clientBundle(_ index: Int) -> String { "\(directory)/client-\(index).pem" }
    func clientCertificate(_ index: Int) -> String { "\(directory)/client-\(index).crt" }
    func clientKey(_ index: Int) -> String { "\(directory)/client-\(index).key" }
    /// clientAuth, signed by our CA, valid 2020-01-01 .. 2020-02-01.
    var expiredClientBundle: String { "\(directory)/expired.pem" }
    /// clientAuth, signed by a different CA.
    var foreignClientBundle: String { "\(directory)/foreign-client.pem" }

    static let shared: Result<TestPKI, any Error> = Result { try TestPKI.create() }

    struct CommandFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let output: String
        var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(output)" }
    }

    private static func create() throws -> TestPKI {
        let directory = NSTemporaryDirectory() + "fedattr-transport-pki-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        removeAtExit = directory
        atexit { if let directory = removeAtExit { try? FileManager.default.removeItem(atPath: directory) } }
        let pki = TestPKI(directory: directory)
        try pki.generate()
        return pki
    }

    private func generate() throws {
        let config = """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        CN = unused
        [ca]
        default_ca = ca_default
        [ca_default]
        database = \(directory)/index.txt
        new_certs_dir = \(directory)/newcerts
        serial = \(directory)/serial
        default_md = sha256
        policy = policy_any
        unique_subject = no
        [policy_any]
        commonName = supplied
        [v3_ca]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        [server_ext]
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost, IP:127.0.0.1
        [client_ext]
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = clientAuth
        [client_only_server_ext]
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = clientAuth
        subjectAltName = DNS:localhost
        """
        let cnf = "\(directory)/openssl.cnf"
        try config.write(toFile: cnf, atomically: true, encoding: .utf8)
        try "".write(toFile: "\(directory)/index.txt", atomically: true, encoding: .utf8)
        try "01\n".write(toFile: "\(directory)/serial", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(directory)/newcerts", withIntermediateDirectories: true)

        func key(_ name: String) throws {
            try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "\(directory)/\(name).key"])
        }
        func makeCA(_ name: String, _ cn: String) throws {
            try key(name)
            try openssl(["req", "-x509", "-new", "-config", cnf, "-key", "\(directory)/\(name).key", "-subj", "/CN=\(cn)",
                         "-days", "3", "-extensions", "v3_ca", "-out", "\(directory)/\(name).crt"])
        }
        func csr(_ name: String, _ cn: String) throws {
            try key(name)
            try openssl(["req", "-new", "-config", cnf, "-key", "\(directory)/\(name).key", "-subj", "/CN=\(cn)",
                         "-out", "\(directory)/\(name).csr"])
        }
        func sign(_ name: String, ca: String, extensions: String) throws {
            try openssl(["x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", "\(directory)/\(ca).crt",
                         "-CAkey", "\(directory)/\(ca).key", "-CAcreateserial", "-days", "3",
                         "-extfile", cnf, "-extensions", extensions, "-out", "\(directory)/\(name).crt"])
        }
        func bundle(_ name: String) throws {
            let crt = try String(contentsOfFile: "\(directory)/\(name).crt", encoding: .utf8)
            let key = try String(contentsOfFile: "\(directory)/\(name).key", encoding: .utf8)
            try (crt + key).write(toFile: "\(directory)/\(name).pem", atomically: true, encoding: .utf8)
        }

        try makeCA("ca", "fedattr test CA")
        try makeCA("foreign-ca", "foreign test CA")
        try csr("server", "localhost"); try sign("server", ca: "ca", extensions: "server_ext"); try bundle("server")
        try csr("server-clientauth", "localhost")
        try sign("server-clientauth", ca: "ca", extensions: "client_only_server_ext"); try bundle("server-clientauth")
        for i in 0..<3 {
            try csr("client-\(i)", "client-\(i)"); try sign("client-\(i)", ca: "ca", extensions: "client_ext"); try bundle("client-\(i)")
        }
        try csr("foreign-client", "client-0"); try sign("foreign-client", ca: "foreign-ca", extensions: "client_ext")
        try bundle("foreign-client")
        try csr("expired", "client-expired")
        try openssl(["ca", "-batch", "-config", cnf, "-cert", "\(directory)/ca.crt", "-keyfile", "\(directory)/ca.key",
                     "-in", "\(directory)/expired.csr", "-out", "\(directory)/expired.crt", "-notext",
                     "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-extensions", "client_ext"])
        try bundle("expired")
    }

    @discardableResult
    func openssl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CommandFailed(arguments: arguments, output: output) }
        return output
    }
}
