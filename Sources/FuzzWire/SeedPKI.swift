import Foundation
import PKI

/// The federation identities the fuzzer works with: a real PKI directory (`fedattr pki init` layout) whose CA judges
/// the fuzzed certificates, whose client-0 signs the seed updates and registrations, and whose coordinator seals heads.
struct SeedPKI {
    let trust: TrustAnchor
    let coordinator: Credential
    let client: Credential

    /// Loads the PKI in `directory`, creating it (CA, coordinator, client-0) if it has no CA yet.
    init(directory: String) throws {
        let layout = PKILayout(directory: directory)
        if !FileManager.default.fileExists(atPath: layout.caCertificate) {
            try PKIBuilder.initialize(directory: directory, clients: 1)
        }
        trust = try TrustAnchor(caPEMFile: layout.caCertificate)
        func credential(_ name: String) throws -> Credential {
            Credential(certificate: try Certificate(pemFile: layout.certificate(name)), key: try PrivateKey(pemFile: layout.key(name)))
        }
        coordinator = try credential(PKILayout.coordinatorName)
        client = try credential(PKILayout.clientName(0))
    }
}
