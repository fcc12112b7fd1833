import ArgumentParser
import Federation
import Foundation
import PKI

/// `fedattr pki`: the federation's certificates.
struct PKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Create the federation's CA and certificates.",
        subcommands: [Init.self, AddClient.self])

    /// `fedattr pki init`.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a CA, the coordinator certificate and client-0…client-(N-1) certificates (ECDSA P-256, libcrypto).")

        @Option(help: "Directory to write (created with mode 0700).") var dir = "pki"
        @Option(help: "Number of client certificates.") var clients = 10
        @Option(name: .customLong("host"), help: ArgumentHelp(
            "More names of the coordinator, added to localhost and coordinator: DNS names or IP addresses, repeatable or comma-separated (--host coord.example,10.0.0.5).",
            valueName: "name")) var hosts: [String] = []
        @Option(help: "Validity in days.") var days = 365
        @Flag(help: "Replace an existing CA in --dir.") var force = false
        @Flag(name: .customLong("keep-existing"),
              help: "When --dir already has a CA, keep everything and issue only the missing client-i certificates (one-shot container jobs).")
        var keepExisting = false

        func validate() throws {
            guard (1...10_000).contains(clients) else { throw ValidationError("--clients must be in 1...10000 (the federation's limit)") }
            guard (1...36_500).contains(days) else { throw ValidationError("--days must be in 1...36500") }
            guard !(force && keepExisting) else { throw ValidationError("--force replaces the CA and --keep-existing keeps it: give one") }
        }

        func run() throws {
            let existing = PKILayout(directory: dir)
            if keepExisting, !force, FileManager.default.fileExists(atPath: existing.caCertificate) {
                let missing = (0..<clients).map(PKILayout.clientName).filter { !FileManager.default.fileExists(atPath: existing.certificate($0)) }
                for name in missing { try PKIBuilder.issueClient(directory: dir, name: name, validDays: days) }
                print("kept the CA in \(dir)/; issued \(missing.isEmpty ? "no new certificates" : missing.joined(separator: ", "))")
                return
            }
            let names = PKIBuilder.CoordinatorNames(adding: hosts.flatMap { $0.split(separator: ",").map(String.init) })
            let layout = try PKIBuilder.initialize(directory: dir, clients: clients, hostNames: names.dnsNames,
                                                   ipAddresses: names.ipAddresses, validDays: days, force: force)
            print("wrote \(layout.caCertificate), coordinator.{crt,key,pem} and \(clients) client certificates to \(dir)/ (keys mode 0600)")
            print("the coordinator's certificate names DNS \(names.dnsNames.joined(separator: ", ")) and IP \(names.ipAddresses.joined(separator: ", "))")
            if names.ipAddresses.count > 1 {
                print("note: a client dialing one of these addresses checks it against the certificate's IP names (the default TLS engine, openssl); with --tls-engine mbedtls, which matches DNS names only, give the client --server-name coordinator (or another DNS name above)")
            }
        }
    }

    /// `fedattr pki add-client`.
    struct AddClient: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-client", abstract: "Issue one more client certificate from the existing CA.")

        @Option(help: "PKI directory made by `pki init`.") var dir = "pki"
        @Option(help: "Client id (client-N).") var id: String

        func validate() throws {
            guard (try? DataSplits.shardIndex(of: id)) != nil else {
                throw ValidationError("--id must be client-N with N the client's shard index (0, 1, 2, …), not '\(id)'")
            }
        }

        func run() throws {
            try PKIBuilder.issueClient(directory: dir, name: id)
            print("wrote \(dir)/\(id).{crt,key,pem}")
        }
    }
}
