package dev.sluice;

/** The core's {@code sluice_status} values (include/sluice.h); the numbers are only ever appended. */
public enum Status {
  OK(0),
  INVALID_ARGUMENT(1),
  NOT_FOUND(2),
  IO(3),
  INVALID_DATA(4),
  SCHEMA_MISMATCH(5),
  PERMISSION_DENIED(6),
  UNSUPPORTED(7),
  PANIC(8),
  INTERNAL(9),
  /** A value this binding does not know (from a newer library); {@link SluiceException#code()} has it. */
  UNKNOWN(-1);

  private final int code;

  Status(int code) {
    this.code = code;
  }

  /** The C value. */
  public int code() {
    return code;
  }

  /** The status of a C value, {@link #UNKNOWN} for one this binding does not know. */
  public static Status of(int code) {
    for (Status status : values()) {
      if (status.code == code && status != UNKNOWN) {
        return status;
      }
    }
    return UNKNOWN;
  }
}
