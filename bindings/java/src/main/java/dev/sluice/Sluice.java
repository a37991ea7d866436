package dev.sluice;

import java.nio.charset.StandardCharsets;

/** The loaded sluice library: its version, ABI and location. */
public final class Sluice {
  /** The C ABI version this binding is written for; the library's must be equal (checked at load). */
  public static final int ABI_VERSION = NativeLibrary.ABI_VERSION;

  /** The system property naming the libsluice.so to load instead of the copy in the jar. */
  public static final String LIBRARY_PATH_PROPERTY = NativeLibrary.PROPERTY;

  private Sluice() {}

  /** The library's version, e.g. "0.1.0". */
  /**
   * The position of {@code reader} (from {@link DataConnector#read}) as a resume token: an opaque
   * string, after the batches it loaded so far. {@link ReadOptions#resumeFrom} with it, and the
   * same options, gives exactly the batches the reader would have given next.
   *
   * @throws IllegalArgumentException when the reader is not one that sluice returned
   */
  public static String position(org.apache.arrow.vector.ipc.ArrowReader reader) {
    if (!(reader instanceof StreamReader)) {
      throw new IllegalArgumentException("sluice: position() needs a reader that DataConnector.read returned");
    }
    return ((StreamReader) reader).position(0);
  }

  public static String version() {
    NativeLibrary.ensureLoaded();
    return new String(Native.version(), StandardCharsets.UTF_8);
  }

  /** The library's ABI version (equal to {@link #ABI_VERSION}, or loading would have failed). */
  public static int abiVersion() {
    NativeLibrary.ensureLoaded();
    return Native.abiVersion();
  }

  /** Where libsluice was loaded from, in words: the overriding path, or the copy in the jar. */
  public static String libraryOrigin() {
    return NativeLibrary.origin();
  }
}
