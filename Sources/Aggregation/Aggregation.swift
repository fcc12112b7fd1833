/// Placeholder; replaced as the Aggregation target grows.
public enum AggregationModule {}
