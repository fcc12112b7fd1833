import Foundation

/// Shuts down TCP connections accepted on a listening port that never became an nng pipe within a timeout.
///
/// Why: nng 1.5.2 starts a 10 s timer for the SP header exchange of a tls+tcp connection, but the TLS handshake under it
/// waits for the peer without any limit, so a peer that connects and sends nothing holds a descriptor forever (measured:
/// 0 of 200 idle connections closed after 25 s). nng offers no hook before a pipe exists. This scans the process's
/// descriptors (/proc/self/fd) for sockets connected to `port` whose peer is not a live pipe's and, once one has been seen
/// for `timeout`, calls shutdown(2) on it — not close(2), which would pull the descriptor from under nng: nng's own read
/// then fails and nng closes and frees the connection itself.
public final class StalledConnectionReaper: @unchecked Sendable {  // used from one thread at a time
    public let port: Int
    private var firstSeen: [String: Date] = [:]

    public init(port: Int) {
        self.port = port
    }

    /// Shuts down connections to `port` seen for longer than `timeout` whose peer address (as `Socket.pipeRemoteAddress`
    /// writes it) is not in `pipePeers`; returns their peer addresses.
    public func reap(timeout: TimeInterval, pipePeers: Set<String>, now: Date = Date()) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
        var seen: [String: Date] = [:]
        var reaped: [String] = []
        for entry in entries {
            guard let fd = Int32(entry), isSocket(fd), let peer = connectedPeer(fd) else { continue }
            if pipePeers.contains(peer) { continue }
            let key = "\(fd)|\(peer)"
            let since = firstSeen[key] ?? now
            if now.timeIntervalSince(since) >= timeout, shutdown(fd, Int32(SHUT_RDWR)) == 0 {
                reaped.append(peer)
            } else {
                seen[key] = since
            }
        }
        firstSeen = seen
        return reaped.sorted()
    }

    private func isSocket(_ fd: Int32) -> Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }

    /// The peer of `fd` if it is a TCP connection whose local port is `port`.
    private func connectedPeer(_ fd: Int32) -> String? {
        var local = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let gotLocal = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard gotLocal == 0, Self.port(of: local) == port else { return nil }
        var peer = sockaddr_storage()
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let gotPeer = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard gotPeer == 0 else { return nil }  // the listening socket itself, or not connected
        return Self.text(of: peer)
    }

    private static func port(of address: sockaddr_storage) -> Int? {
        var address = address
        switch Int32(address.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6:
            return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default:
            return nil
        }
    }

    private static func text(of address: sockaddr_storage) -> String? {
        var address = address
        switch Int32(address.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    AddressText.ipv4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr), port: UInt16(bigEndian: $0.pointee.sin_port))
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    AddressText.ipv6(withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }, port: UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
        default:
            return nil
        }
    }
}

/// How peer addresses are written in logs and compared between nng pipes and raw sockets.
enum AddressText {
    static func ipv4(_ ip: UInt32, port: UInt16) -> String {
        "\(ip >> 24).\((ip >> 16) & 0xff).\((ip >> 8) & 0xff).\(ip & 0xff):\(port)"
    }

    static func ipv6(_ bytes: [UInt8], port: UInt16) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { String((UInt16(bytes[$0]) << 8) | UInt16(bytes[$0 + 1]), radix: 16) }
        return "[\(groups.joined(separator: ":"))]:\(port)"
    }
}
