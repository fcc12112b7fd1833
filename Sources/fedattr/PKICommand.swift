import ArgumentParser
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
        @Option(name: .customLong("host"), help: "DNS names of the coordinator (repeatable).") var hosts: [String] = ["localhost", "coordinator"]
        @Option(help: "Validity in days.") var days = 365
        @Flag(help: "Replace an existing CA in --dir.") var force = false
        @Flag(name: .customLong("keep-existing"),
              help: "When --dir already has a CA, keep everything and issue only the missing client-i certificates (one-shot container jobs).")
        var keepExisting = false

        func run() throws {
            let existing = PKILayout(directory: dir)
            if keepExisting, !force, FileManager.default.fileExists(atPath: existing.caCertificate) {
                let missing = (0..<clients).map(PKILayout.clientName).filter { !FileManager.default.fileExists(atPath: existing.certificate($0)) }
                for name in missing { try PKIBuilder.issueClient(directory: dir, name: name, validDays: days) }
                print("kept the CA in \(dir)/; issued \(missing.isEmpty ? "no new certificates" : missing.joined(separator: ", "))")
                return
            }
            let layout = try PKIBuilder.initialize(directory: dir, clients: clients, hostNames: hosts, validDays: days, force: force)
            print("wrote \(layout.caCertificate), coordinator.{crt,key,pem} and \(clients) client certificates to \(dir)/ (keys mode 0600)")
        }
    }

    /// `fedattr pki add-client`.
    struct AddClient: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-client", abstract: "Issue one more client certificate from the existing CA.")

        @Option(help: "PKI directory made by `pki init`.") var dir = "pki"
        @Option(help: "Client id (client-N).") var id: String

        func run() throws {
            try PKIBuilder.issueClient(directory: dir, name: id)
            print("wrote \(dir)/\(id).{crt,key,pem}")
        }
    }
}
