package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.util.Text;
import org.junit.jupiter.api.Test;

/**
 * A reader loads every batch into one VectorSchemaRoot: the same root and vectors each time,
 * holding the current batch only, with the previous batch released, and with no per-batch
 * allocation beyond what Arrow Java's C Data import itself makes.
 */
class ReusedRootTest {
  @Test
  void everyBatchLoadsIntoTheSameRootWithItsOwnValues() throws IOException {
    try (BufferAllocator allocator = new RootAllocator();
        DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
        ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(3000))) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot(); // before the first batch
      List<FieldVector> vectors = List.copyOf(root.getFieldVectors());
      assertEquals(0, root.getRowCount());
      List<Integer> lengths = new ArrayList<>();
      long row = 0;
      while (reader.loadNextBatch()) {
        assertSame(root, reader.getVectorSchemaRoot());
        assertEquals(vectors, root.getFieldVectors());
        lengths.add(root.getRowCount());
        for (int i = 0; i < root.getRowCount(); i++, row++) {
          assertEquals(row, root.getVector("id").getObject(i));
          assertEquals(row % 7 == 0 ? null : row * 0.5, root.getVector("x").getObject(i));
          assertEquals(new Text("row-" + row), root.getVector("name").getObject(i));
        }
        // every vector holds this batch's rows, the last (short) batch included
        for (FieldVector vector : vectors) {
          assertEquals(root.getRowCount(), vector.getValueCount(), vector.getName());
        }
      }
      assertEquals(List.of(3000, 3000, 3000, 1000), lengths);
      assertFalse(reader.loadNextBatch(), "the end stays the end");
    }
  }

  @Test
  void onlyTheCurrentBatchIsHeld() throws IOException {
    try (BufferAllocator allocator = new RootAllocator();
        DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
        ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(1000))) {
      assertTrue(reader.loadNextBatch());
      long oneBatch = allocator.getAllocatedMemory();
      assertTrue(oneBatch > 1000 * 8, "the batch lives in the reader's allocator: " + oneBatch);
      int batches = 1;
      while (reader.loadNextBatch()) {
        batches++;
        // the previous batch went back to the core when this one was loaded
        assertTrue(allocator.getAllocatedMemory() < 2 * oneBatch,
            "batch " + batches + ": " + allocator.getAllocatedMemory() + " bytes held, one batch is " + oneBatch);
      }
      assertEquals(10, batches);
    }
  }

  @Test
  void aBatchAllocatesOnlyWhatTheImportNeeds() throws IOException {
    Allocations allocations = new Allocations();
    try (BufferAllocator allocator = allocations.allocator();
        DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
        // one batch per import (batches_per_chunk given: nothing to cut; ChunkedReadTest counts a cut batch)
        ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(50).set("batches_per_chunk", "1"))) {
      Allocations.AfterFirst read = allocations.readAfterFirst(reader); // the first batch sets the reader up
      long heap = read.heapPerBatch();
      long buffers = read.allocationsPerBatch();
      assertEquals(199, read.batches());
      System.out.printf("per batch: %d allocations, %d heap bytes%n", buffers, heap);
      // What Arrow Java's import of a batch of 6 columns allocates from the allocator: 8
      // buffers of the core wrapped (no copy), 6 all-valid bitmaps it makes for the struct and
      // the 5 columns that the core exports without one (no nulls), 1 struct it moves the
      // batch into. The reader adds none (it allocated the struct of get_next per batch: 16).
      assertTrue(buffers <= 15, "allocations per batch: " + buffers);
      // Java objects: Arrow Java's importer makes its own for each column (importers, visitors,
      // ledgers, views of the C structs: about 9.6 KiB a batch here). The reader used to add a
      // new StructVector with new child vectors per batch, unloaded into an ArrowRecordBatch
      // and loaded into the root (Data.importIntoVectorSchemaRoot): about 15.6 KiB a batch.
      assertTrue(heap < 12 * 1024, "Java heap bytes allocated per batch: " + heap);
    }
  }
}
