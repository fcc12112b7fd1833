import Testing
@testable import Transport

/// What a process using the TLS engines needs at exit (the crash itself is reproduced by tools/openssl_exit_race.sh,
/// which .ci/run runs: a process that exits mid-handshake).
struct ProcessExitTests {
    /// engine.c's constructor told OpenSSL, before anything else initialised it, not to free its state at exit.
    @Test func openSSLKeepsItsStateUntilTheProcessExits() {
        #expect(TLSEngine.keepsOpenSSLUntilExit)
    }
}
