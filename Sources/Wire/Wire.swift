/// Placeholder; replaced as the Wire target grows.
public enum WireModule {}
