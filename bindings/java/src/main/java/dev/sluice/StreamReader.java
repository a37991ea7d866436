package dev.sluice;

import java.io.IOException;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.arrow.c.ArrowArray;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.ArrowSchema;
import org.apache.arrow.c.CDataDictionaryProvider;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The core's Arrow C stream as an {@link ArrowReader} that throws {@link SluiceException}.
 *
 * <p>Arrow Java's own reader ({@code Data.importArrayStream}) moves the C struct into one it
 * keeps private and turns an error in the middle of the stream into a bare IOException. This
 * reader keeps the struct, so that a failed {@code get_next} is read back with its status and
 * message ({@code sluice_stream_last_error}) and thrown as the core's SluiceException; each
 * batch is imported by Arrow Java, without a copy. After an error, every later call throws it
 * again: the error is never mistaken for the end of the rows.
 */
final class StreamReader extends ArrowReader {
  private final ArrowArrayStream stream;
  private final CDataDictionaryProvider provider = new CDataDictionaryProvider();
  private SluiceException failure;
  /** The position at the end, kept when the end is reached (the stream is released then). */
  private String endPosition;

  /** Takes over {@code filled} (a stream sluice just wrote), which is left released. */
  StreamReader(BufferAllocator allocator, ArrowArrayStream filled) {
    super(allocator);
    this.stream = ArrowArrayStream.allocateNew(allocator);
    this.stream.save(filled.snapshot());
    filled.markReleased();
  }

  @Override
  protected Schema readSchema() throws IOException {
    try (ArrowSchema schema = ArrowSchema.allocateNew(allocator)) {
      try {
        stream.getSchema(schema);
      } catch (IOException e) {
        throw typed(e);
      }
      return Data.importSchema(allocator, schema, provider);
    }
  }

  @Override
  public boolean loadNextBatch() throws IOException {
    if (failure != null) {
      throw failure;
    }
    try (ArrowArray array = ArrowArray.allocateNew(allocator)) {
      try {
        stream.getNext(array);
      } catch (IOException e) {
        failure = typed(e);
        throw failure;
      }
      if (array.snapshot().release == 0) {
        if (endPosition == null) {
          endPosition = position(0);
        }
        return false;
      }
      Data.importIntoVectorSchemaRoot(allocator, array, getVectorSchemaRoot(), provider);
      return true;
    }
  }

  /** The position after the batches loaded so far, less {@code unconsumedRows} (a resume token). */
  String position(long unconsumedRows) {
    if (endPosition != null) {
      if (unconsumedRows != 0) {
        throw new SluiceException(
            Status.INVALID_ARGUMENT.code(), "sluice: the reader has ended; its position is its end");
      }
      return endPosition;
    }
    byte[] token = Native.streamPosition(stream.memoryAddress(), unconsumedRows);
    return new String(token, java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** The stream's last error as the core reported it (Arrow Java's exception as its cause). */
  private SluiceException typed(IOException arrowError) {
    SluiceException error = Native.streamLastError(stream.memoryAddress());
    if (error == null) {
      error = new SluiceException(Status.INTERNAL.code(), "sluice: the stream failed and kept no error: "
          + arrowError.getMessage());
    }
    error.initCause(arrowError);
    return error;
  }

  @Override
  public Map<Long, Dictionary> getDictionaryVectors() {
    return provider.getDictionaryIds().stream()
        .collect(Collectors.toMap(Function.identity(), provider::lookup));
  }

  @Override
  public Dictionary lookup(long id) {
    return provider.lookup(id);
  }

  @Override
  public long bytesRead() {
    return 0;
  }

  @Override
  protected void closeReadSource() {
    if (stream.snapshot().release != 0) {
      stream.release();
    }
    stream.close();
    provider.close();
  }
}
