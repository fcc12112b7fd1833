import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// glibc gives threads that allocate at the same time arenas of their own (up to 8 per core). In the coordinator daemon,
/// nng's and Dispatch's threads take turns with every round's 400 KB messages, and those arenas fragment: RSS grew by
/// ≈ 0.5 MB per round in the 100-process soak (19 % over 45 rounds) and stayed within 2 % with two arenas
/// (docs/BENCHMARKS.md, "Load"). The coordinator daemon caps the arenas unless the environment already does.
public enum MallocArenas {
    public static let daemonLimit = 2

    /// Caps glibc's malloc arenas at `limit` unless `MALLOC_ARENA_MAX` or a `glibc.malloc.arena_max` tunable is set;
    /// returns the cap in force ("environment" when left to it, "none" where there is no glibc).
    @discardableResult
    public static func limit(to limit: Int = daemonLimit,
                             environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let set = environment["MALLOC_ARENA_MAX"] { return "\(set) (environment)" }
        if environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.arena_max") == true { return "environment" }
        // mallopt is declared in <malloc.h>, which Swift's Glibc module does not import; M_ARENA_MAX is -8 in glibc's ABI.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return "none" }
        return unsafeBitCast(symbol, to: Mallopt.self)(-8, Int32(limit)) == 1 ? "\(limit)" : "none"
    }
}
