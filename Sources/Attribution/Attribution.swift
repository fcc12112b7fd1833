/// Placeholder; replaced as the Attribution target grows.
public enum AttributionModule {}
