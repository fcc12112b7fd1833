import Foundation
import TestSupport

/// A network namespace joined to the host by a veth pair on a private /30 (10.x.y.1 host side, 10.x.y.2 inside), for
/// tests that run a client behind a link they can cut. Names are unique per instance; `remove()` deletes the namespace,
/// which deletes both veth ends with it.
final class NetworkNamespace: @unchecked Sendable {  // immutable after init
    let name: String
    let hostInterface: String
    let namespaceInterface: String
    let hostAddress: String
    let namespaceAddress: String
    private static let ip = "/usr/sbin/ip"

    /// Why namespaces cannot be used here (not root, no `ip`, `ip netns add` refused), or nil when they can.
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "needs root for ip netns (running as uid \(geteuid()))" }
        guard FileManager.default.isExecutableFile(atPath: ip) else { return "\(ip) not found (iproute2)" }
        let probe = "fedattr-probe-\(getpid())"
        guard let added = try? Tool.run(ip, ["netns", "add", probe]), added.status == 0 else {
            return "ip netns add failed: \((try? Tool.run(ip, ["netns", "add", probe]))?.output ?? "not runnable")"
        }
        _ = try? Tool.run(ip, ["netns", "delete", probe])
        return nil
    }()

    init() throws {
        let tag = String(format: "%05x", UInt32.random(in: 0..<0x10_0000))
        name = "fedattr-\(getpid())-\(tag)"
        hostInterface = "fa\(tag)h"  // interface names are at most 15 bytes
        namespaceInterface = "fa\(tag)n"
        let used = (try? Tool.run(Self.ip, ["-o", "-4", "addr"]).output) ?? ""
        var subnet: String
        repeat {
            subnet = "10.\(Int.random(in: 200...249)).\(Int.random(in: 0...255))"
        } while used.contains(" \(subnet).")
        hostAddress = "\(subnet).1"
        namespaceAddress = "\(subnet).2"
        try run(["netns", "add", name])
        do {
            try run(["link", "add", hostInterface, "type", "veth", "peer", "name", namespaceInterface])
            try run(["link", "set", namespaceInterface, "netns", name])
            try run(["addr", "add", "\(hostAddress)/30", "dev", hostInterface])
            try run(["link", "set", hostInterface, "up"])
            try run(["netns", "exec", name, Self.ip, "addr", "add", "\(namespaceAddress)/30", "dev", namespaceInterface])
            try run(["netns", "exec", name, Self.ip, "link", "set", "lo", "up"])
            try setLink(up: true)
        } catch {
            remove()
            throw error
        }
    }

    /// Sets the namespace's end of the veth pair down (the cut: packets go nowhere, no connection is reset) or up.
    func setLink(up: Bool) throws {
        try run(["netns", "exec", name, Self.ip, "link", "set", namespaceInterface, up ? "up" : "down"])
    }

    /// The command prefix that runs a program inside the namespace.
    var launcher: [String] { [Self.ip, "netns", "exec", name] }

    /// Deletes the namespace and with it both veth ends; the host end is deleted too in case the namespace never got it.
    func remove() {
        _ = try? Tool.run(Self.ip, ["netns", "delete", name])
        _ = try? Tool.run(Self.ip, ["link", "delete", hostInterface])
    }

    private func run(_ arguments: [String]) throws {
        _ = try Tool.output(Self.ip, arguments)
    }
}
