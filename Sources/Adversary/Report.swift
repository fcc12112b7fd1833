/// Formatting for the values strategies put in their per-round log line.
enum Report {
    static func number(_ x: Double) -> String {
        x.isFinite ? String(Float(x)) : "\(x)"
    }
}
