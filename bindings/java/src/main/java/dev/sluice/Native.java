package dev.sluice;

/**
 * The JNI glue (src/main/c/sluice_jni.c), one method per C call it wraps.
 *
 * <p>Strings travel as NUL-free UTF-8 byte arrays (see {@link NativeStrings}); handles as
 * addresses. Every method throws {@link SluiceException} for a core error. Only {@link
 * NativeLibrary} and the handle classes call these, after the library is loaded.
 */
final class Native {
  private Native() {}

  /**
   * Opens the sluice library at {@code path} (UTF-8) and checks its ABI against the glue's
   * header; returns null on success, else the reason (UTF-8).
   */
  static native byte[] init(byte[] path);

  /** SLUICE_ABI_VERSION of the header the glue was compiled with. */
  static native int headerAbiVersion();

  /** sluice_abi_version() of the loaded library. */
  static native int abiVersion();

  /** sluice_version() of the loaded library, UTF-8. */
  static native byte[] version();

  static native long connectorOpen(byte[][] sources, byte[][] optionKeys, byte[][] optionValues);

  /**
   * sluice_connector_from_sql: runs {@code query} through the ADBC driver {@code driver} on the
   * database {@code uri}, with SQL options and source options as key/value arrays.
   */
  static native long connectorFromSql(
      byte[] driver,
      byte[] uri,
      byte[] query,
      byte[][] sqlOptionKeys,
      byte[][] sqlOptionValues,
      byte[][] optionKeys,
      byte[][] optionValues);

  /** sluice_connector_open_dataset: a version of a dataset (docs/datasets.md). */
  static native long connectorOpenDataset(
      byte[] root, byte[] name, byte[] version, boolean verify, byte[][] optionKeys, byte[][] optionValues);

  static native void connectorFree(long connector);

  static native void connectorSchema(long connector, long arrowSchemaAddress);

  static native long connectorNumRows(long connector);

  static native long connectorCountRows(long connector, byte[][] optionKeys, byte[][] optionValues);

  /**
   * The last error of the sluice stream at {@code arrowStreamAddress} (sluice_stream_last_error),
   * not thrown; null when no call on it failed. A stream that is released or not sluice's gives
   * the exception that says so.
   */
  static native SluiceException streamLastError(long arrowStreamAddress);

  /** The stream's position as a resume token (UTF-8 bytes), after its batches less {@code unconsumedRows}. */
  static native byte[] streamPosition(long arrowStreamAddress, long unconsumedRows);

  /** Writes a new stream into the ArrowArrayStream at {@code arrowStreamAddress}. */
  static native void connectorRead(
      long connector, byte[][] optionKeys, byte[][] optionValues, long arrowStreamAddress);
}
