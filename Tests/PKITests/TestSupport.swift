import Foundation
@_exported import TestSupport
@testable import PKI

/// A CA with one client and one coordinator credential, shared by tests that only read them.
enum Fixture {
    static let now = Date()
    static let day: TimeInterval = 86_400

    static let authority: CertificateIssuer = try! CertificateIssuer.makeAuthority(
        commonName: "test CA", notBefore: now - 30 * day, notAfter: now + 30 * day)

    static let client: Credential = try! authority.issue(
        commonName: "client-0", purpose: .client, dnsNames: ["client-0"], notBefore: now - day, notAfter: now + 10 * day)

    static let server: Credential = try! authority.issue(
        commonName: "coordinator", purpose: .server, dnsNames: ["localhost", "coordinator"], ipAddresses: ["127.0.0.1"],
        notBefore: now - day, notAfter: now + 10 * day)

    static var anchor: TrustAnchor { try! TrustAnchor(certificate: authority.certificate) }
}
