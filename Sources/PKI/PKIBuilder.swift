import Foundation

/// Creates the federation's PKI on disk (`fedattr pki init`): a CA, the coordinator's server credential and N client credentials.
public enum PKIBuilder {
    /// Mode of private keys and certificate+key bundles.
    public static let secretFileMode: mode_t = 0o600
    /// Mode of certificates.
    public static let publicFileMode: mode_t = 0o644
    /// Mode of a PKI directory the builder creates.
    public static let directoryMode: mode_t = 0o700

    /// Writes ca.crt/ca.key, coordinator.{crt,key,pem} (serverAuth; DNS SANs `hostNames`, IP SANs `ipAddresses`; CN "coordinator")
    /// and client-0…client-(N-1).{crt,key,pem} (clientAuth; CN and DNS SAN client-i) under `directory` (created 0700 if missing).
    /// An existing CA is an error (`.fileExists`) unless `force`, which replaces the CA and the coordinator/client-i files.
    @discardableResult
    public static func initialize(directory: String, clients: Int, hostNames: [String] = CoordinatorNames.defaultDNSNames,
                                  ipAddresses: [String] = CoordinatorNames.defaultIPAddresses,
                                  validDays: Int = 365, force: Bool = false) throws -> PKILayout {
        guard clients >= 0 else { throw PKIError.invalidArgument("client count \(clients) is negative") }
        guard validDays >= 1 else { throw PKIError.invalidArgument("validity of \(validDays) days; at least 1 is needed") }
        let layout = PKILayout(directory: directory)
        try SecureFile.makeDirectory(directory, mode: directoryMode)
        if !force {
            for path in [layout.caCertificate, layout.caKey] where FileManager.default.fileExists(atPath: path) {
                throw PKIError.fileExists(path: path)
            }
        }

        let (notBefore, notAfter) = validity(days: validDays)
        let authority = try CertificateIssuer.makeAuthority(
            notBefore: notBefore, notAfter: max(notAfter, notBefore.addingTimeInterval(3650 * 86_400)))
        let coordinator = try authority.issue(
            commonName: PKILayout.coordinatorName, purpose: .server, dnsNames: hostNames, ipAddresses: ipAddresses,
            notBefore: notBefore, notAfter: notAfter)
        var members: [(String, Credential)] = [(PKILayout.coordinatorName, coordinator)]
        for i in 0..<clients {
            let name = PKILayout.clientName(i)
            members.append((name, try authority.issue(commonName: name, purpose: .client, dnsNames: [name],
                                                      notBefore: notBefore, notAfter: notAfter)))
        }

        if force { try removeMemberFiles(in: layout) }
        try SecureFile.write(Array(authority.key.pem.utf8), to: layout.caKey, mode: secretFileMode, exclusive: !force)
        try SecureFile.write(Array(authority.certificate.pem.utf8), to: layout.caCertificate, mode: publicFileMode, exclusive: !force)
        for (name, credential) in members { try write(credential, name: name, layout: layout, exclusive: !force) }
        return layout
    }

    /// Issues one more client credential `name` (CN and DNS SAN `name`, clientAuth) from the CA in `directory`, for a late joiner.
    /// Existing files for `name` are an error (`.fileExists`) unless `force`.
    @discardableResult
    public static func issueClient(directory: String, name: String, validDays: Int = 365, force: Bool = false) throws -> Credential {
        guard validDays >= 1 else { throw PKIError.invalidArgument("validity of \(validDays) days; at least 1 is needed") }
        guard CertificateIssuer.isValidDNSName(name), !name.contains("/") else {
            throw PKIError.invalidArgument("client name '\(name)' must be a DNS-style label (letters, digits, '-', '.')")
        }
        let layout = PKILayout(directory: directory)
        let authority = try CertificateIssuer(certificateFile: layout.caCertificate, keyFile: layout.caKey)
        if !force {
            for path in [layout.certificate(name), layout.key(name), layout.bundle(name)]
            where FileManager.default.fileExists(atPath: path) {
                throw PKIError.fileExists(path: path)
            }
        }
        let (notBefore, notAfter) = validity(days: validDays)
        let credential = try authority.issue(commonName: name, purpose: .client, dnsNames: [name],
                                             notBefore: notBefore, notAfter: notAfter)
        try write(credential, name: name, layout: layout, exclusive: !force)
        return credential
    }

    /// Writes <name>.key and <name>.pem (0600) and <name>.crt (0644).
    static func write(_ credential: Credential, name: String, layout: PKILayout, exclusive: Bool) throws(PKIError) {
        let keyPEM = credential.key.pem
        let certificatePEM = credential.certificate.pem
        try SecureFile.write(Array(keyPEM.utf8), to: layout.key(name), mode: secretFileMode, exclusive: exclusive)
        try SecureFile.write(Array((certificatePEM + keyPEM).utf8), to: layout.bundle(name), mode: secretFileMode, exclusive: exclusive)
        try SecureFile.write(Array(certificatePEM.utf8), to: layout.certificate(name), mode: publicFileMode, exclusive: exclusive)
    }

    /// Starts 5 minutes in the past to tolerate clock skew between machines.
    private static func validity(days: Int) -> (Date, Date) {
        let now = Date()
        return (now.addingTimeInterval(-300), now.addingTimeInterval(TimeInterval(days) * 86_400))
    }

    /// Removes coordinator.* and client-<n>.* credential files left from a previous PKI (they would chain to the old CA).
    private static func removeMemberFiles(in layout: PKILayout) throws(PKIError) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: layout.directory) else { return }
        for entry in entries {
            let stem = (entry as NSString).deletingPathExtension
            let ext = (entry as NSString).pathExtension
            guard ["crt", "key", "pem"].contains(ext) else { continue }
            let isClient = stem.hasPrefix("client-") && Int(stem.dropFirst("client-".count)) != nil
            guard stem == PKILayout.coordinatorName || isClient else { continue }
            let path = layout.directory + "/" + entry
            if unlink(path) != 0 && errno != ENOENT { throw .fileWriteFailed(path: path, errno: errno) }
        }
    }
}

extension PKIBuilder {
    /// The names a coordinator certificate carries: the defaults plus the hosts a deployment adds, IP addresses apart
    /// (they become IP SANs; mbedTLS matches DNS SANs only, other TLS stacks match IP SANs too).
    public struct CoordinatorNames: Sendable, Equatable {
        public static let defaultDNSNames = ["localhost", PKILayout.coordinatorName]
        public static let defaultIPAddresses = ["127.0.0.1"]

        public private(set) var dnsNames = defaultDNSNames
        public private(set) var ipAddresses = defaultIPAddresses

        /// The defaults plus `hosts` (trimmed, empty ones and repeats dropped), each sorted into DNS names and IP addresses.
        public init(adding hosts: [String]) {
            for raw in hosts {
                let host = raw.trimmingCharacters(in: .whitespaces)
                guard !host.isEmpty else { continue }
                if Self.isIPAddress(host) {
                    if !ipAddresses.contains(host) { ipAddresses.append(host) }
                } else if !dnsNames.contains(host.lowercased()) {
                    dnsNames.append(host.lowercased())
                }
            }
        }

        static func isIPAddress(_ text: String) -> Bool {
            var v4 = in_addr(), v6 = in6_addr()
            return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
        }
    }
}
