package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;

/** A reader resumed from another's position gives exactly the batches the other would give next. */
class ResumeTest extends LeakCheckedTest {

  private static ReadOptions options() {
    return new ReadOptions().shuffle(true).seed(5).batchSize(300).numWorkers(2).workerIndex(1);
  }

  @Test
  void resumingMidEpochGivesTheRemainingIds() throws IOException {
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("multi")))) {
      Columns.Read whole;
      try (ArrowReader reader = connector.read(allocator, options())) {
        whole = Columns.ids(reader);
      }
      String token;
      int consumedRows = 0;
      try (ArrowReader reader = connector.read(allocator, options())) {
        for (int i = 0; i < 4; i++) {
          assertTrue(reader.loadNextBatch());
          consumedRows += reader.getVectorSchemaRoot().getRowCount();
        }
        token = Sluice.position(reader);
      }
      assertTrue(token.startsWith("sluice-pos-1:"), token);
      Columns.Read rest;
      try (ArrowReader reader = connector.read(allocator, options().resumeFrom(token))) {
        rest = Columns.ids(reader);
      }
      assertEquals(whole.ids.subList(consumedRows, whole.ids.size()), rest.ids);
      assertEquals(whole.batchLengths.subList(4, whole.batchLengths.size()), rest.batchLengths);

      // Another number of workers: refused, naming the old and new counts.
      SluiceException e = assertThrows(SluiceException.class,
          () -> connector.read(allocator, options().numWorkers(3).resumeFrom(token)).close());
      assertEquals(Status.INVALID_ARGUMENT.code(), e.code());
      assertTrue(e.getMessage().contains("worker 1 of 3"), e.getMessage());
    }
  }
}
