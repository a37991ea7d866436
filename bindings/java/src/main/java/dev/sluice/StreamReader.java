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
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.StructVector;
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
 *
 * <p>Every batch is imported into the same {@link VectorSchemaRoot} (the one
 * {@link #getVectorSchemaRoot()} returns): a batch's vectors are valid until the next
 * {@code loadNextBatch} or {@code close}, which release its buffers back to the core. The
 * per-batch work is kept to what the C Data import itself needs: the batch's struct array is
 * imported straight into a StructVector whose children are the root's vectors, made once
 * (Arrow Java's {@code Data.importIntoVectorSchemaRoot} builds a new StructVector and unloads
 * and reloads every buffer for each batch), and the C struct that receives each batch is
 * allocated once per reader.
 *
 * <p>With {@code batchRows} (a read whose batch_size is small: see {@link ChunkCutter}), the
 * core emits chunks of whole batches and the reader cuts each chunk into its batches: the same
 * batches, imported once per chunk. The chunk's buffers are then released when the batch after
 * its last one is loaded.
 */
final class StreamReader extends ArrowReader {
  private final ArrowArrayStream stream;
  private final CDataDictionaryProvider provider = new CDataDictionaryProvider();
  /** Receives each batch from get_next; the import moves its contents out, so it is reused. */
  private final ArrowArray next;
  /** The batch as a struct array; its children are the vectors of {@link #root}. */
  private StructVector batch;
  private VectorSchemaRoot root;
  /** Rows per batch cut from each chunk; 0 when every emitted batch is a batch of the reader. */
  private final long batchRows;
  /** Cuts the chunk in {@link #batch} into {@link #root}'s vectors (null when batchRows is 0). */
  private ChunkCutter cutter;
  private SluiceException failure;
  /** The position at the end, kept when the end is reached (the stream is released then). */
  private String endPosition;

  /**
   * Takes over {@code filled} (a stream sluice just wrote), which is left released; with
   * {@code batchRows} > 0, the stream's batches are chunks cut into batches of that many rows.
   */
  StreamReader(BufferAllocator allocator, ArrowArrayStream filled, long batchRows) {
    super(allocator);
    this.batchRows = batchRows;
    this.next = ArrowArray.allocateNew(allocator);
    try {
      this.stream = ArrowArrayStream.allocateNew(allocator);
    } catch (RuntimeException | Error e) {
      next.close();
      throw e;
    }
    // Nothing can fail from here: `filled` is moved only once the reader owns all it needs.
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

  /**
   * The root every batch is loaded into (one per reader): valid until the next
   * {@link #loadNextBatch()} or {@link #close()}.
   */
  @Override
  public VectorSchemaRoot getVectorSchemaRoot() throws IOException {
    if (root == null) {
      Schema schema = super.getVectorSchemaRoot().getSchema();
      // Duplicate names are allowed, as in the schema (a projection may repeat a column).
      batch = StructVector.emptyWithDuplicates("", allocator);
      batch.initializeChildrenFromFields(schema.getFields());
      if (batchRows > 0) {
        root = VectorSchemaRoot.create(schema, allocator);
        cutter = new ChunkCutter(batch, root, batchRows);
      } else {
        root = new VectorSchemaRoot(schema, batch.getChildrenFromFields(), 0);
      }
    }
    return root;
  }

  @Override
  public boolean loadNextBatch() throws IOException {
    if (failure != null) {
      throw failure;
    }
    VectorSchemaRoot into = getVectorSchemaRoot();
    if (cutter != null && cutter.rowsLeft() > 0) {
      cutter.next();
      return true;
    }
    try {
      stream.getNext(next);
    } catch (IOException e) {
      failure = typed(e);
      throw failure;
    }
    ArrowArray.Snapshot snapshot = next.snapshot();
    if (snapshot.release == 0) {
      // The end: the root keeps the last batch until the reader is closed.
      if (endPosition == null) {
        endPosition = position(0);
      }
      return false;
    }
    if (cutter != null) {
      cutter.clear(); // the previous chunk's last batch: its chunk goes with the import below
    }
    // Moves the struct out of `next` (left released, ready for the next call) and swaps each
    // child's buffers for the batch's, releasing the previous batch's.
    Data.importIntoVector(allocator, next, batch, provider, false);
    if (cutter != null) {
      cutter.chunk(snapshot.length);
      if (cutter.rowsLeft() == 0) {
        return true; // an empty chunk (the core emits none but an empty stream's): an empty batch
      }
      cutter.next();
      return true;
    }
    into.setRowCount(Math.toIntExact(snapshot.length));
    return true;
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
    // The rest of the current chunk was emitted by the core but not by this reader.
    long uncut = cutter == null ? 0 : cutter.rowsLeft();
    byte[] token = Native.streamPosition(stream.memoryAddress(), unconsumedRows + uncut);
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
    if (cutter != null) {
      root.close(); // the slices of the last batch cut
    }
    if (batch != null) {
      batch.close(); // the root's vectors (or the chunk's): releases the last batch
    }
    if (next.snapshot().release != 0) {
      next.release(); // a batch whose import failed
    }
    next.close();
    if (stream.snapshot().release != 0) {
      stream.release();
    }
    stream.close();
    provider.close();
  }
}
