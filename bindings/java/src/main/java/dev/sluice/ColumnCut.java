package dev.sluice;

import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.util.TransferPair;

/**
 * Cuts one column's batches out of the column of an imported chunk (see {@link ChunkCutter}).
 *
 * <p>Why not Arrow Java's {@code splitAndTransfer} for every column: in a fresh JVM the JIT
 * compiles whatever runs for each batch, and {@code splitAndTransfer}'s code, inlined with its
 * bounds checks and buffer ledgers, was most of what it compiled during a first pass (profiled
 * with JFR's compilation events: 0.33 s of C2 time for the string offsets' loop alone, 0.17 s for
 * fixed-width columns). The slices below load the same buffers into the batch's vector with
 * {@code loadFieldBuffers}, the call Arrow Java's own IPC and C Data readers use, and rebase
 * string offsets in one small loop. They need each batch to start on a whole byte of the
 * validity bitmap (batch_size a multiple of 8); other batch sizes and other types (lists,
 * structs, unions, large strings ...) keep {@code splitAndTransfer}.
 */
abstract class ColumnCut {
  /**
   * Null counts are not counted per batch: the vector counts its bitmap when asked, as for a C
   * Data import whose producer gives -1.
   */
  private static final int UNKNOWN_NULL_COUNT = -1;

  /** Loads rows {@code start … start + rows} of the chunk's column into the batch's vector. */
  abstract void next(int start, int rows);

  /** The cut from {@code chunk} into {@code batch} (same type) for batches starting at multiples of {@code batchRows}. */
  static ColumnCut of(FieldVector chunk, FieldVector batch, long batchRows) {
    if (batchRows % 8 == 0) {
      if (chunk instanceof BaseFixedWidthVector) {
        return new FixedWidth((BaseFixedWidthVector) chunk, batch);
      }
      if (chunk instanceof BaseVariableWidthVector) {
        return new VariableWidth((BaseVariableWidthVector) chunk, batch);
      }
    }
    return new Transfer(chunk, batch);
  }

  /** Arrow Java's own split: any type, any start (bitmaps cut mid-byte are copied). */
  private static final class Transfer extends ColumnCut {
    private final TransferPair pair;

    Transfer(FieldVector chunk, FieldVector batch) {
      pair = chunk.makeTransferPair(batch);
    }

    @Override
    void next(int start, int rows) {
      pair.splitAndTransfer(start, rows); // clears the target first: the previous batch's slices go
    }
  }

  /** A cut that loads slices of the chunk's buffers into the batch's vector. */
  private abstract static class Slices extends ColumnCut {
    final FieldVector chunk;
    final FieldVector batch;

    Slices(FieldVector chunk, FieldVector batch) {
      this.chunk = chunk;
      this.batch = batch;
    }

    /** The chunk's bitmap of rows {@code start … start + rows} ({@code start} a multiple of 8). */
    ArrowBuf validity(int start, int rows) {
      return chunk.getValidityBuffer().slice(start / 8, bitmapBytes(rows));
    }

    /** Loads {@code buffers} into the batch's vector: it releases the previous batch's and retains these. */
    void load(int rows, List<ArrowBuf> buffers) {
      batch.loadFieldBuffers(new ArrowFieldNode(rows, UNKNOWN_NULL_COUNT), buffers);
    }
  }

  /** Numbers, booleans, dates, times, decimals ...: slices of the bitmap and of the values. */
  private static final class FixedWidth extends Slices {
    /** Booleans: values are bits, like the bitmap's. */
    private final boolean bits;
    /** Bytes a value (other than a boolean). */
    private final int width;

    FixedWidth(BaseFixedWidthVector chunk, FieldVector batch) {
      super(chunk, batch);
      this.bits = chunk instanceof BitVector;
      this.width = chunk.getTypeWidth();
    }

    @Override
    void next(int start, int rows) {
      ArrowBuf values = bits
          ? chunk.getDataBuffer().slice(start / 8, bitmapBytes(rows))
          : chunk.getDataBuffer().slice((long) start * width, (long) rows * width);
      load(rows, List.of(validity(start, rows), values));
    }
  }

  /** Strings and binaries: a slice of the bitmap and of the bytes, and the offsets rebased to 0. */
  private static final class VariableWidth extends Slices {
    private static final int OFFSET_WIDTH = BaseVariableWidthVector.OFFSET_WIDTH;

    VariableWidth(BaseVariableWidthVector chunk, FieldVector batch) {
      super(chunk, batch);
    }

    @Override
    void next(int start, int rows) {
      ArrowBuf from = chunk.getOffsetBuffer();
      long skipped = (long) start * OFFSET_WIDTH;
      long bytes = (rows + 1L) * OFFSET_WIDTH;
      if (skipped + bytes > from.capacity()) { // the loop below reads memory unchecked
        throw new IllegalStateException(
            "sluice: a chunk's offsets end before its rows " + start + " … " + (start + rows));
      }
      long source = from.memoryAddress() + skipped;
      int first = MemoryUtil.getInt(source);
      int end = MemoryUtil.getInt(source + bytes - OFFSET_WIDTH);
      try (ArrowBuf offsets = batch.getAllocator().buffer(bytes)) {
        long target = offsets.memoryAddress();
        for (long at = 0; at < bytes; at += OFFSET_WIDTH) {
          MemoryUtil.putInt(target + at, MemoryUtil.getInt(source + at) - first);
        }
        // The vector retains the offsets; closing ours leaves them to it.
        ArrowBuf data = chunk.getDataBuffer().slice(first, (long) end - first);
        load(rows, List.of(validity(start, rows), offsets, data));
      }
    }
  }

  private static long bitmapBytes(int rows) {
    return (rows + 7L) / 8;
  }
}
