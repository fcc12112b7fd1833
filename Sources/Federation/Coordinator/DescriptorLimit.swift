import Foundation

/// The process's open-file limit: every connection, log and output file holds a descriptor, and a coordinator that
/// runs out cannot accept honest clients nor write its run.
public enum DescriptorLimit {
    /// Raises the soft limit to the hard limit (allowed without privileges); returns the limits now in force.
    @discardableResult
    public static func raiseToHard() -> (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    /// Descriptors this process has open now (entries of /proc/self/fd; nil where there is no /proc).
    public static func openCount() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map { $0.count - 1 }  // minus the listing's own
    }
}
