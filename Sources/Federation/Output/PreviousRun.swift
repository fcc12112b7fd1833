import Foundation

/// A run already in an output directory when a new one starts there without `--resume`: its files are moved into
/// `DIR/replaced-<UTC time>/` rather than overwritten, so that starting over (or a mistyped `--out`) loses nothing.
enum PreviousRun {
    /// Moves the coordinator's files of an earlier run in `directory` aside; returns where, or nil when there was none.
    static func setAside(directory: String, now: Date = Date()) throws -> String? {
        let layout = RunLayout(directory: directory)
        let records = [layout.rounds, layout.attribution, layout.ledger, layout.ledgerSeals, layout.detections, layout.summary,
                       layout.checkpoint]
        let manager = FileManager.default
        let size = { (path: String) in (try? manager.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        guard records.contains(where: { size($0) > 0 }) else { return nil }
        let stamp = ISO8601DateFormatter().string(from: now).replacingOccurrences(of: ":", with: "-")
        var destination = (directory as NSString).appendingPathComponent("replaced-\(stamp)")
        var suffix = 1
        while manager.fileExists(atPath: destination) {
            suffix += 1
            destination = (directory as NSString).appendingPathComponent("replaced-\(stamp)-\(suffix)")
        }
        let moved = records + [layout.caCertificate, layout.updates, layout.report, layout.reportPage]
        do {
            try manager.createDirectory(atPath: destination, withIntermediateDirectories: false)
            for path in moved where manager.fileExists(atPath: path) {
                try manager.moveItem(atPath: path, toPath: (destination as NSString).appendingPathComponent((path as NSString).lastPathComponent))
            }
        } catch {
            throw FederationError.cannotWriteBecause(path: destination, reason: "moving the earlier run aside: \(error.localizedDescription)")
        }
        return destination
    }
}
