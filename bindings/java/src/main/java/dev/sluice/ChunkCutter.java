package dev.sluice;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.StructVector;

/**
 * Cuts the batches of one imported chunk (the core's read option {@code batches_per_chunk}:
 * batch {@code i} of a chunk is its rows {@code i × batch_size …}) into a VectorSchemaRoot of
 * their own, one batch at a time.
 *
 * <p>Why: Arrow Java's C Data import costs a fresh JVM far more per batch than the cut does
 * (per column: an importer, a type visitor, buffer ledgers, reflective views of the C structs,
 * all interpreted, then compiled by the JIT while the core decodes). A cut ({@link ColumnCut})
 * makes each batch's buffers slices of the chunk's (no copy of values; validity bitmaps are
 * sliced when the batch starts on a byte, which every batch does when batch_size is a multiple
 * of 8; string and binary columns get their offsets rebased into a new buffer, one offset a row).
 */
final class ChunkCutter {
  /** The read option that makes the core emit chunks (docs/options.md). */
  static final String OPTION = "batches_per_chunk";
  /** Rows per chunk the reader asks for, as Python's chunked outputs do (CHUNK_ROWS). */
  static final long CHUNK_ROWS = 65536;

  private final VectorSchemaRoot root;
  private final List<ColumnCut> cuts = new ArrayList<>();
  private final long batchRows;
  private long chunkRows;
  private long cut;

  /** Cuts {@code chunk}'s children into {@code root}'s vectors (in the same order) by {@code batchRows}. */
  ChunkCutter(StructVector chunk, VectorSchemaRoot root, long batchRows) {
    this.root = root;
    this.batchRows = batchRows;
    List<FieldVector> from = chunk.getChildrenFromFields();
    for (int i = 0; i < from.size(); i++) {
      cuts.add(ColumnCut.of(from.get(i), root.getVector(i), batchRows));
    }
  }

  /**
   * The rows per batch to cut from chunks of about {@code chunkRows} (CHUNK_ROWS) for a read
   * whose options are {@code options} (null: none): its batch_size when that is at most half a
   * chunk; 0 when the reader should take the core's batches as they come: the caller chose its
   * own chunks (batches_per_chunk), or batch_size is large or not given (the default, 65,536
   * rows, is a chunk already). A batch_size that is not a positive number is left to the core
   * to refuse.
   */
  static long batchRows(ReadOptions options, long chunkRows) {
    if (options == null || options.asMap().containsKey(OPTION)) {
      return 0;
    }
    String batchSize = options.asMap().get("batch_size");
    if (batchSize == null) {
      return 0;
    }
    long rows;
    try {
      rows = Long.parseLong(batchSize);
    } catch (NumberFormatException e) {
      return 0;
    }
    return rows > 0 && chunkRows / rows > 1 ? rows : 0;
  }

  /** {@code options} asking the core for chunks of whole batches of {@code batchRows} (from {@link #batchRows}). */
  static ReadOptions chunked(ReadOptions options, long batchRows, long chunkRows) {
    return new ReadOptions(options).set(OPTION, Long.toString(chunkRows / batchRows));
  }

  /** Starts on a chunk of {@code rows} rows just imported. */
  void chunk(long rows) {
    chunkRows = rows;
    cut = 0;
  }

  /** Rows of the current chunk not cut yet. */
  long rowsLeft() {
    return chunkRows - cut;
  }

  /** Releases the current batch's slices (before the next chunk is imported: one chunk held, not two). */
  void clear() {
    for (FieldVector vector : root.getFieldVectors()) {
      vector.clear();
    }
    root.setRowCount(0);
  }

  /** Loads the chunk's next batch into the root; the caller checks {@link #rowsLeft()} first. */
  void next() {
    int start = Math.toIntExact(cut);
    int rows = Math.toIntExact(Math.min(batchRows, chunkRows - cut));
    for (ColumnCut column : cuts) {
      column.next(start, rows); // the previous batch's slices go
    }
    root.setRowCount(rows);
    cut += rows;
  }
}
