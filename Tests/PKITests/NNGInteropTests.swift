import Foundation
import Testing
@testable import PKI

/// The generated bundles work with nng's TLS (mbedTLS, mutual authentication) via `nngcat`; skipped when nngcat is absent.
@Suite(.enabled(if: Tool.find("nngcat") != nil, "nngcat not on PATH"), .serialized)
struct NNGInteropTests {
    let nngcat = Tool.find("nngcat") ?? "nngcat"

    /// Runs a rep listener with `serverBundle` and a req dialer with `clientBundle`; returns (listener, dialer) results.
    func exchange(layout: PKILayout, serverBundle: String, clientBundle: String, clientCA: String? = nil,
                  host: String = "localhost") throws -> (ToolResult, ToolResult) {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        // A listener that is not up yet (a loaded machine: seen once in CI) refuses the TCP connection, and so does one
        // that could not bind its random port (taken by another test's connection): only refusals are retried, a few
        // times on the same port, then on a new one.
        var result: (ToolResult, ToolResult)? = nil
        for listenerAttempt in 1...3 {
            let port = Int.random(in: 40_000...59_000)
            let output = temp.file("listener-\(listenerAttempt).txt")
            let listener = try Tool.start(nngcat, [
                "--rep", "--listen", "tls+tcp://127.0.0.1:\(port)", "--cert", serverBundle, "--cacert", layout.caCertificate,
                "--data", "pong", "--count", "1", "--recv-timeout", "5", "--ascii",
            ], outputFile: output)
            usleep(300_000)
            var attempts = 0
            var dialer: ToolResult
            repeat {
                attempts += 1
                dialer = try Tool.run(nngcat, [
                    "--req", "--dial", "tls+tcp://\(host):\(port)", "--cert", clientBundle, "--cacert", clientCA ?? layout.caCertificate,
                    "--data", "ping", "--recv-timeout", "3", "--ascii",
                ], timeout: 10)
                if dialer.output.contains("Connection refused") { usleep(300_000) }
            } while dialer.output.contains("Connection refused") && attempts < 10
            result = (Tool.finish(listener, outputFile: output, timeout: dialer.status == 0 ? 5 : 0.5), dialer)
            if !dialer.output.contains("Connection refused") { break }
        }
        return result!
    }

    @Test func mutualTLSRoundTripWithGeneratedBundles() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let layout = try PKIBuilder.initialize(directory: temp.path, clients: 1)
        let (server, client) = try exchange(layout: layout, serverBundle: layout.bundle("coordinator"),
                                            clientBundle: layout.bundle("client-0"))
        #expect(!client.timedOut)
        #expect(client.status == 0, "dialer: \(client.output)")
        #expect(client.output.contains("pong"), "dialer: \(client.output)")
        #expect(server.output.contains("ping"), "listener: \(server.output)")
    }

    @Test func clientBundleCannotServeBecauseOfItsEKU() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let layout = try PKIBuilder.initialize(directory: temp.path, clients: 1)
        // A clientAuth-only certificate whose SAN matches the host: only the EKU is wrong, and the dialer (mbedTLS) must refuse it.
        let issuer = try CertificateIssuer(certificateFile: layout.caCertificate, keyFile: layout.caKey)
        let impostor = try issuer.issue(commonName: "coordinator", purpose: .client, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"],
                                        notBefore: Date() - 60, notAfter: Date() + 3600)
        try PKIBuilder.write(impostor, name: "impostor", layout: layout, exclusive: true)
        let (_, client) = try exchange(layout: layout, serverBundle: layout.bundle("impostor"), clientBundle: layout.bundle("client-0"))
        #expect(!client.output.contains("pong"), "dialer: \(client.output)")
        #expect(client.status != 0)
        #expect(client.output.contains("Cryptographic error"), "dialer: \(client.output)")
        // Control: the same exchange with the real coordinator bundle succeeds.
        let (_, control) = try exchange(layout: layout, serverBundle: layout.bundle("coordinator"), clientBundle: layout.bundle("client-0"))
        #expect(control.output.contains("pong"), "dialer: \(control.output)")
    }

    @Test func dialerTrustingAnotherCARefusesTheCoordinator() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let layout = try PKIBuilder.initialize(directory: temp.file("ours"), clients: 1)
        let foreign = try PKIBuilder.initialize(directory: temp.file("theirs"), clients: 1)
        let (_, client) = try exchange(layout: layout, serverBundle: layout.bundle("coordinator"),
                                       clientBundle: layout.bundle("client-0"), clientCA: foreign.caCertificate)
        #expect(!client.output.contains("pong"), "dialer: \(client.output)")
        #expect(client.status != 0)
        #expect(client.output.contains("Cryptographic error"), "dialer: \(client.output)")
    }

    @Test func hostNameOutsideTheSANsIsRefused() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let layout = try PKIBuilder.initialize(directory: temp.path, clients: 1, hostNames: ["coordinator"])
        // 127.0.0.1 is in the IP SAN, but "localhost" is no longer a DNS SAN.
        let (_, client) = try exchange(layout: layout, serverBundle: layout.bundle("coordinator"), clientBundle: layout.bundle("client-0"))
        #expect(!client.output.contains("pong"), "dialer: \(client.output)")
        #expect(client.status != 0)
        #expect(client.output.contains("Cryptographic error"), "dialer: \(client.output)")
    }
}
