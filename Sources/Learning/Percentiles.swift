/// Medians and percentiles (linear interpolation between order statistics: R's type 7, NumPy's default), the one
/// implementation behind robust aggregation's norm medians, run summaries, benchmarks and experiment statistics.
public enum Percentiles {
    /// The median; the mean of the two middle values for an even count; NaN for no values.
    public static func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

    /// The `q`-quantile (q clamped to 0…1); NaN for no values.
    public static func percentile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let position = min(max(q, 0), 1) * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Int(position.rounded(.up))
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}
