/// Placeholder; replaced as the Learning target grows.
public enum LearningModule {}
