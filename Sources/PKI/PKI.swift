/// Placeholder; replaced as the PKI target grows.
public enum PKIModule {}
