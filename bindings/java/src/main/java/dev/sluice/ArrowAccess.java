package dev.sluice;

import org.apache.arrow.memory.util.MemoryUtil;

/**
 * Checks, once per JVM and before the first Arrow import, that Arrow Java can reach the
 * internals of java.nio it needs.
 *
 * <p>On Java 17 and later, without {@code --add-opens=java.base/java.nio=ALL-UNNAMED}, Arrow's
 * MemoryUtil cannot open {@code DirectByteBuffer(long, int)}: its static initializer records
 * that, and the first C Data import (reading a schema's C strings through
 * {@code MemoryUtil.directBuffer}) throws an UnsupportedOperationException that does not name
 * the flag. Later Arrow versions may fail in the static initializer itself (an
 * ExceptionInInitializerError, then NoClassDefFoundError). Either way, this turns the failure
 * into an IllegalStateException that says what to add to the command line.
 */
final class ArrowAccess {
  static final String FLAG = "--add-opens=java.base/java.nio=ALL-UNNAMED";

  private static boolean checked;
  private static Throwable failure;

  private ArrowAccess() {}

  /** Returns when Arrow Java works in this JVM; otherwise throws, on every call. */
  static synchronized void check() {
    if (!checked) {
      try {
        // Capacity 0 at address 0: builds a view onto no memory, touching nothing.
        MemoryUtil.directBuffer(0, 0);
      } catch (RuntimeException | LinkageError e) {
        failure = e;
      }
      checked = true;
    }
    if (failure != null) {
      throw new IllegalStateException(
          "sluice: Arrow Java cannot access java.nio's direct buffers: start the JVM with " + FLAG
              + " (java " + FLAG + " ..., Maven Surefire's argLine, Gradle's jvmArgs);"
              + " Arrow failed with: " + failure,
          failure);
    }
  }
}
