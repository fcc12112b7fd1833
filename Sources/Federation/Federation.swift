/// Placeholder; replaced as the Federation target grows.
public enum FederationModule {}
