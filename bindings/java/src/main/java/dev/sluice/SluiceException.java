package dev.sluice;

import java.nio.charset.StandardCharsets;

/**
 * An error reported by the sluice core: a missing file, a bad option, a corrupt file …
 * It carries the core's status and its message unchanged.
 */
public class SluiceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status status;
  private final int code;

  public SluiceException(int code, String message) {
    super(message);
    this.code = code;
    this.status = Status.of(code);
  }

  /** The core's status. */
  public Status status() {
    return status;
  }

  /** The core's status as its C value (kept for a status newer than this binding). */
  public int code() {
    return code;
  }

  /** Called by the JNI glue: the core's message is UTF-8, which JNI's NewStringUTF does not take. */
  static SluiceException fromNative(int code, byte[] message) {
    return new SluiceException(code, new String(message, StandardCharsets.UTF_8));
  }
}
