import Foundation

/// Debian 12's OpenBLAS 0.3.21 does not know some current x86 CPUs and runs its generic SSE3 "Prescott" kernels there
/// (SGEMM 3–4x slower). OpenBLAS reads OPENBLAS_CORETYPE only when it loads, so `selectBeforeUse()` restarts the process
/// once with the kernel family the CPU supports. A value already in the environment (even "Prescott") is kept.
public enum OpenBLASKernel {
    /// Set, to the chosen kernel family, in a process `selectBeforeUse()` restarted (and so in every process it starts).
    public static let markerVariable = "FEDATTR_OPENBLAS_CORETYPE_AUTO"

    /// The OPENBLAS_CORETYPE to restart with; nil when OpenBLAS picked a specific kernel itself, the environment already
    /// names one, or the CPU flags (as the operating system reports them) have neither AVX-512 nor AVX2 with FMA.
    public static func preferredCore(current: String, environment: [String: String], cpuFlags: Set<String>) -> String? {
        guard current == "Prescott", environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(cpuFlags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(cpuFlags.contains) { return "Haswell" }
        return nil
    }

    /// The flags of the first processor in /proc/cpuinfo's text; empty when it has no flags line.
    public static func cpuFlags(cpuinfo: String) -> Set<String> {
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Restarts this process (same arguments, same process id) with OPENBLAS_CORETYPE set when `preferredCore` names
    /// a kernel; returns without doing anything otherwise, or if the restart fails. Call first thing in `main`.
    public static func selectBeforeUse() {
        let environment = ProcessInfo.processInfo.environment
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard let core = preferredCore(current: BLASThreads.coreName, environment: environment, cpuFlags: cpuFlags(cpuinfo: cpuinfo)) else {
            return
        }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(markerVariable, core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: carry on with the generic kernels, and say nothing was selected.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(markerVariable)
    }

    /// One line on the kernels in use, for logs and benchmark headers: "SkylakeX (chosen by fedattr: …)" and the like.
    public static var summary: String {
        let core = BLASThreads.coreName
        let environment = ProcessInfo.processInfo.environment
        if environment[markerVariable] != nil { return "\(core) (chosen by fedattr: OpenBLAS fell back to Prescott on this CPU)" }
        if let set = environment["OPENBLAS_CORETYPE"] { return "\(core) (OPENBLAS_CORETYPE=\(set))" }
        return core
    }
}
