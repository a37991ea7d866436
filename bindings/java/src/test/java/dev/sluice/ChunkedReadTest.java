package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.util.TransferPair;
import org.apache.arrow.vector.util.ValueVectorUtility;
import org.junit.jupiter.api.Test;

/**
 * Reads with small batches import chunks of whole batches from the core and cut them into the
 * batches (ChunkCutter): the same batches, values and positions as the core's own batches.
 * Chunks of 4,000 rows here (65,536 in use) so that the 10,000-row file spans several.
 */
class ChunkedReadTest extends LeakCheckedTest {
  private static final long CHUNK_ROWS = 4000;

  /** Every batch of a reader as its row count and its values in text (every column, nulls included). */
  private static List<String> batches(ArrowReader reader) throws IOException {
    List<String> batches = new ArrayList<>();
    while (reader.loadNextBatch()) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      batches.add(root.getRowCount() + " rows\n" + root.contentToTSVString());
    }
    assertFalse(reader.loadNextBatch(), "the end stays the end");
    return batches;
  }

  /** The batches of a cutting read against the core's batches (batches_per_chunk=1: nothing to cut). */
  private void assertSameBatches(String source, ReadOptions options, int expectedBatches) throws IOException {
    try (DataConnector connector = DataConnector.fromSources(List.of(source))) {
      List<String> cut;
      try (ArrowReader reader = connector.read(allocator, null, options, CHUNK_ROWS)) {
        cut = batches(reader);
      }
      List<String> core;
      try (ArrowReader reader = connector.read(allocator, new ReadOptions(options).set("batches_per_chunk", "1"))) {
        core = batches(reader);
      }
      assertEquals(expectedBatches, core.size());
      assertEquals(core.size(), cut.size(), "batches");
      for (int i = 0; i < core.size(); i++) {
        assertEquals(core.get(i), cut.get(i), "batch " + i);
      }
    }
  }

  @Test
  void cutBatchesAreTheCoresBatches() throws IOException {
    String values = TestData.path("values.parquet");
    // chunks of 2 batches of 1,500 rows: the last chunk (1,000 rows) is short, so is its batch
    assertSameBatches(values, new ReadOptions().batchSize(1500), 7);
    // a batch_size that is not a multiple of 8: bitmaps (x's nulls, flag's values) cut mid-byte
    assertSameBatches(values, new ReadOptions().batchSize(999).shuffle(true).seed(3), 11);
    assertSameBatches(values, new ReadOptions().batchSize(1000).dropLastBatch(true).numShards(3).shardIndex(1), 3);
    assertSameBatches(values, new ReadOptions().batchSize(700).features("f32", "k").label("id"), 15);
    assertSameBatches(TestData.path("multi"),
        new ReadOptions().batchSize(512).shuffle(true).seed(9).numWorkers(2).workerIndex(0).columns("v", "id"), 8);
  }

  /** The columns of one of the test data's Arrow IPC files (a Parquet file as pyarrow reads it). */
  private Map<String, List<Object>> pyarrowValues(String file) throws IOException {
    try (FileChannel channel = FileChannel.open(TestData.dir().resolve(file), StandardOpenOption.READ);
        ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
      return Columns.values(reader);
    }
  }

  @Test
  void cutBatchesEqualPyarrowsValues() throws IOException {
    Map<String, List<Object>> expected = pyarrowValues("values.arrow");
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
        ArrowReader reader = connector.read(allocator, null, new ReadOptions().batchSize(1000), CHUNK_ROWS)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      Map<String, List<Object>> actual = Columns.values(reader);
      assertSame(root, reader.getVectorSchemaRoot(), "one root for every batch");
      assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
      for (String column : expected.keySet()) {
        Columns.assertSameValues(expected.get(column), actual.get(column), column);
      }
    }
  }

  /**
   * Nulls in strings, binaries, booleans, dates and lists, cut both ways (ColumnCut): slices for
   * batch sizes that are multiples of 8, Arrow Java's splitAndTransfer for the others and for lists.
   */
  @Test
  void cutNullableColumnsEqualPyarrowsValues() throws IOException {
    Map<String, List<Object>> expected = pyarrowValues("nullable.arrow");
    for (long batchSize : new long[] {1000, 8, 999}) {
      try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("nullable.parquet")));
          ArrowReader reader = connector.read(allocator, null, new ReadOptions().batchSize(batchSize), CHUNK_ROWS)) {
        Map<String, List<Object>> actual = new LinkedHashMap<>();
        long nulls = 0;
        while (reader.loadNextBatch()) {
          VectorSchemaRoot root = reader.getVectorSchemaRoot();
          for (FieldVector vector : root.getFieldVectors()) {
            nulls += vector.getNullCount();
            List<Object> values = actual.computeIfAbsent(vector.getName(), name -> new ArrayList<>());
            for (int i = 0; i < root.getRowCount(); i++) {
              values.add(vector.getObject(i));
            }
          }
          // a batch's strings are its own: offsets from 0, bytes from the batch's first string
          for (String name : List.of("s", "bin")) {
            BaseVariableWidthVector strings = (BaseVariableWidthVector) root.getVector(name);
            assertEquals(0, strings.getOffsetBuffer().getInt(0), name + ": batch_size " + batchSize);
          }
          ValueVectorUtility.validateFull(root.getVector("s"));
        }
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        long expectedNulls = 0;
        for (String column : expected.keySet()) {
          Columns.assertSameValues(expected.get(column), actual.get(column), column + ", batch_size " + batchSize);
          expectedNulls += expected.get(column).stream().filter(Objects::isNull).count();
        }
        assertEquals(expectedNulls, nulls, "null counts, batch_size " + batchSize);
      }
    }
  }

  /**
   * A batch's vectors transferred out of the root (README: "transfer the vectors, to keep them
   * longer") keep their values after later batches and after their chunk's release, and free
   * the chunk's memory when closed (the allocator's leak check).
   */
  @Test
  void transferredBatchesOutliveTheirChunks() throws IOException {
    Map<String, List<Object>> expected = pyarrowValues("nullable.arrow");
    for (long batchSize : new long[] {1000, 999}) {
      List<List<FieldVector>> kept = new ArrayList<>();
      try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("nullable.parquet")));
          ArrowReader reader = connector.read(allocator, null, new ReadOptions().batchSize(batchSize), CHUNK_ROWS)) {
        while (reader.loadNextBatch()) {
          List<FieldVector> batch = new ArrayList<>();
          for (FieldVector vector : reader.getVectorSchemaRoot().getFieldVectors()) {
            TransferPair pair = vector.getTransferPair(allocator);
            pair.transfer();
            batch.add((FieldVector) pair.getTo());
          }
          kept.add(batch);
        }
      }
      try {
        for (String column : expected.keySet()) {
          List<Object> actual = new ArrayList<>();
          for (List<FieldVector> batch : kept) {
            FieldVector vector = batch.stream().filter(v -> v.getName().equals(column)).findFirst().orElseThrow();
            for (int i = 0; i < vector.getValueCount(); i++) {
              actual.add(vector.getObject(i));
            }
          }
          Columns.assertSameValues(expected.get(column), actual, column + ", batch_size " + batchSize);
        }
      } finally {
        kept.forEach(batch -> batch.forEach(FieldVector::close));
      }
    }
  }

  @Test
  void aPositionMidChunkResumesAtTheNextBatch() throws IOException {
    ReadOptions options = new ReadOptions().batchSize(1000).shuffle(true).seed(11);
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")))) {
      List<String> whole;
      try (ArrowReader reader = connector.read(allocator, null, options, CHUNK_ROWS)) {
        whole = batches(reader);
      }
      String token;
      try (ArrowReader reader = connector.read(allocator, null, options, CHUNK_ROWS)) {
        for (int i = 0; i < 6; i++) { // the second chunk's second batch of four
          assertTrue(reader.loadNextBatch());
        }
        token = Sluice.position(reader);
      }
      try (ArrowReader reader = connector.read(allocator, null, new ReadOptions(options).resumeFrom(token), CHUNK_ROWS)) {
        assertEquals(whole.subList(6, whole.size()), batches(reader));
      }
    }
  }

  @Test
  void anErrorInAChunkIsThrownAtItsFirstBatchAndAfter() throws IOException {
    // corrupt_pages.parquet: ids 0..2999 in row groups of 1,000, the second one's pages garbage.
    // Chunks of 2 batches: the first chunk (ids 0..1999) holds the damage, so the error comes
    // with the first batch, not after it (one batch per import gives batch 0 first: ErrorsTest).
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("corrupt_pages.parquet")));
        ArrowReader reader = connector.read(allocator, null,
            new ReadOptions().batchSize(1000).fragmentsInFlight(1), 2000)) {
      for (int attempt = 0; attempt < 2; attempt++) { // never taken for the end of the rows
        SluiceException error = assertThrows(SluiceException.class, reader::loadNextBatch);
        assertEquals(Status.INVALID_DATA, error.status(), error.getMessage());
        assertTrue(error.getMessage().contains("corrupt_pages.parquet"), error.getMessage());
      }
    }
  }

  @Test
  void batchesPerChunkGivenByTheCallerIsNotCut() throws IOException {
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
        ArrowReader reader = connector.read(allocator, null,
            new ReadOptions().batchSize(1000).set("batches_per_chunk", "3"), CHUNK_ROWS)) {
      List<Integer> lengths = new ArrayList<>();
      while (reader.loadNextBatch()) {
        lengths.add(reader.getVectorSchemaRoot().getRowCount());
      }
      assertEquals(List.of(3000, 3000, 3000, 1000), lengths);
    }
  }

  @Test
  void oneChunkIsHeldAtATime() throws IOException {
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
        ArrowReader reader = connector.read(allocator, null, new ReadOptions().batchSize(1000), CHUNK_ROWS)) {
      assertTrue(reader.loadNextBatch());
      long oneChunk = allocator.getAllocatedMemory();
      assertTrue(oneChunk > 4000 * 8, "the chunk lives in the reader's allocator: " + oneChunk);
      int batches = 1;
      while (reader.loadNextBatch()) {
        batches++;
        // the previous chunk went back to the core when the next one was imported
        assertTrue(allocator.getAllocatedMemory() < 1.5 * oneChunk,
            "batch " + batches + ": " + allocator.getAllocatedMemory() + " bytes held, one chunk is " + oneChunk);
      }
      assertEquals(10, batches);
    }
  }

  @Test
  void aCutBatchAllocatesOnlyRebasedOffsets() throws IOException {
    Allocations allocations = new Allocations();
    try (BufferAllocator counted = allocations.allocator();
        DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
        ArrowReader reader = connector.read(counted, new ReadOptions().batchSize(48))) { // one chunk: the file
      Allocations.AfterFirst cut = allocations.readAfterFirst(reader); // the first batch imports the chunk
      long heap = cut.heapPerBatch();
      assertEquals(208, cut.batches());
      assertEquals(cut.batches(), cut.allocations(),
          "one allocation per batch: the offsets of the one string column, rebased");
      System.out.printf("per cut batch: %d heap bytes%n", heap);
      // about 1.9 KiB (slices of 6 columns' buffers, their transfer); a batch's import is about 9.6 KiB
      assertTrue(heap < 4 * 1024, "Java heap bytes allocated per cut batch: " + heap);
    }
  }
}
