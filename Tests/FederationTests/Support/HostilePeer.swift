import Foundation

/// A hostile peer run as a Python process (the standard library's ssl module, independent of nng): opens many
/// connections to a coordinator and abuses them. Modes:
/// - `close`: mutual-TLS handshake with a valid client certificate, the SP respondent header, then close;
/// - `reset`: the same, then an abortive close (RST, SO_LINGER 0);
/// - `readclose`: the same, reads the coordinator's SP header, then closes;
/// - `idle`: plain TCP connections that send nothing, held for `hold` seconds; prints how many the server closed.
/// `registered-silent` is not here: a registered pipe needs a signed registration (see RawRespondent).
enum HostilePeer {
    static let script = #"""
import socket, ssl, struct, sys, time, select
host, port, ca, bundle, count, mode, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], float(sys.argv[7])
header = b"\x00SP\x00" + struct.pack(">H", 0x63) + b"\x00\x00"   # survey0 respondent
ok = failed = 0
if mode == "idle":
    conns = []
    for _ in range(count):
        s = socket.create_connection((host, port), timeout=5)
        conns.append(s)
    print("opened", len(conns), flush=True)
    end = time.time() + hold
    closed = set()
    while time.time() < end and len(closed) < len(conns):
        r, _, _ = select.select([c for c in conns if c.fileno() not in closed], [], [], 0.5)
        for c in r:
            try:
                data = c.recv(1)
            except OSError:
                data = b""
            if not data:
                closed.add(c.fileno())
    print("closed_by_server", len(closed), flush=True)
    sys.exit(0)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.load_cert_chain(bundle)
ctx.check_hostname = False
for i in range(count):
    try:
        raw = socket.create_connection((host, port), timeout=10)
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(header)
        if mode == "readclose":
            got = b""
            while len(got) < 8:
                chunk = s.recv(8 - len(got))
                if not chunk: break
                got += chunk
        if mode == "reset":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
        s.close()
        ok += 1
    except Exception as e:
        failed += 1
        print("error", repr(e), file=sys.stderr, flush=True)
print("handshakes", ok, "failed", failed, flush=True)
"""#

    /// Runs the script to completion (bounded by `timeout`) and returns its standard output.
    static func run(host: String = "127.0.0.1", port: Int, caFile: String, bundle: String, count: Int, mode: String,
                    hold: Double = 0, directory: String, timeout: Double = 120) throws -> String {
        let path = directory + "/hostile_peer.py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path, host, "\(port)", caFile, bundle, "\(count)", mode, "\(hold)"]
        let out = directory + "/hostile-\(mode).out"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: directory + "/hostile-\(mode).err")
        try process.run()
        _ = ProcessHarness.wait(process, timeout: timeout)
        return ProcessHarness.read(out)
    }

    /// Descriptors `pid` has open now (entries of /proc/PID/fd).
    static func descriptors(of pid: Int32) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count
    }
}
