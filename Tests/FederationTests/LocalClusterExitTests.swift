import Federation
import Foundation
import Logging
import Testing
import TestSupport

/// What `fedattr up` says about clients that crashed or failed, before or while being stopped. The processes are a
/// shell script standing in for `fedattr`: the coordinator waits a moment and exits 0; client-0 dies of SIGSEGV,
/// client-1 exits 3, client-2 exits 0, client-3 runs until `up` stops it (SIGTERM), client-4 crashes when stopped.
struct LocalClusterExitTests {
    @Test(.timeLimit(.minutes(4)))
    func clientsThatCrashedOrFailedAreNamedWithHow() throws {
        let directory = try TemporaryDirectory("cluster-exit")
        defer { directory.remove() }
        try directory.write("fake-fedattr", """
            #!/bin/sh
            case "$1" in
              coordinator) sleep 2; exit 0 ;;
            esac
            for a in "$@"; do case "$a" in
              client-0) kill -SEGV $$ ;;
              client-1) exit 3 ;;
              client-2) exit 0 ;;
              client-4) trap 'kill -SEGV $$' TERM; while :; do sleep 0.1; done ;;
            esac; done
            exec sleep 60
            """)
        chmod(directory.file("fake-fedattr"), 0o755)
        let logPath = directory.file("up.log")
        let sink = try LogSink(path: logPath)
        let logger = Logger(label: "up") { label in LogfmtLogHandler(label: label, sink: sink) }
        let cluster = LocalCluster(options: .init(executable: directory.file("fake-fedattr"), clients: 5,
                                                  outputDirectory: directory.file("run"), relayProgress: false),
                                   logger: logger)
        #expect(try cluster.run() == 0)
        #expect(cluster.clientsEndedAbnormally == ["client-0": "signal 11", "client-1": "exit status 3", "client-4": "signal 11"])
        let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("msg=\"client ended abnormally\"") }
        #expect(lines.count == 3)
        #expect(lines.first?.contains("client=client-0") == true && lines.first?.contains("how=\"signal 11\"") == true)
        #expect(lines.dropFirst().first?.contains("client=client-1") == true && lines.dropFirst().first?.contains("how=\"exit status 3\"") == true)
        #expect(lines.last?.contains("client=client-4") == true)
    }
}
