/// Medians and percentiles of measurements (linear interpolation between order statistics), for summaries and benchmarks.
public enum Percentiles {
    /// The median; the mean of the two middle values for an even count; NaN for no values.
    public static func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

    /// The `q`-quantile (0 ≤ q ≤ 1); NaN for no values.
    public static func percentile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Int(position.rounded(.up))
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}
