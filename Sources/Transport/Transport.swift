/// Placeholder; replaced as the Transport target grows.
public enum TransportModule {}
