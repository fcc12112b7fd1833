import Testing
@testable import Federation

/// The coordinator daemon's malloc arena cap: applied through glibc's mallopt, and left alone when the environment
/// sets one (the 100-process soak in docs/BENCHMARKS.md is the measurement that it keeps RSS flat).
@Suite struct MallocArenasTests {
    @Test func capsTheArenasThroughMallopt() {
        // A generous cap, so the test process's own allocation is not slowed: what matters is that glibc accepted it.
        #expect(MallocArenas.limit(to: 64, environment: [:]) == "64")
    }

    @Test func leavesAnArenaLimitFromTheEnvironmentAlone() {
        #expect(MallocArenas.limit(environment: ["MALLOC_ARENA_MAX": "4"]) == "4 (environment)")
        #expect(MallocArenas.limit(environment: ["GLIBC_TUNABLES": "glibc.malloc.arena_max=3"]) == "environment")
    }
}
