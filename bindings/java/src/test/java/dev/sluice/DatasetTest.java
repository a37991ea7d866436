package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.Test;

/** A dataset version created by the Python binding (src/test/python/make_dataset.py), read from Java. */
class DatasetTest {
  private static String root() {
    String root = TestData.dir().resolve("datasets").toString();
    TestData.python(TestData.script("make_dataset.py"), root, TestData.path("multi"));
    return root;
  }

  @Test
  void readsAVersionCreatedByPythonWithoutItsExcludedColumn() throws Exception {
    String root = root();
    try (BufferAllocator allocator = new RootAllocator();
        DataConnector connector = DataConnector.fromDataset(root, "java", "v1", null, true);
        ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(1000))) {
      assertEquals(8000, connector.numRows());
      List<String> names = connector.schema().getFields().stream().map(Field::getName).collect(Collectors.toList());
      assertEquals(List.of("id", "label"), names);
      long next = 0;
      while (reader.loadNextBatch()) {
        VectorSchemaRoot batch = reader.getVectorSchemaRoot();
        BigIntVector ids = (BigIntVector) batch.getVector("id");
        for (int i = 0; i < batch.getRowCount(); i++) {
          assertEquals(next++, ids.get(i));
        }
      }
      assertEquals(8000, next);
    }
  }

  @Test
  void twoShardsOfAVersionHoldEachRowOnce() throws Exception {
    String root = root();
    List<Long> union = new ArrayList<>();
    try (BufferAllocator allocator = new RootAllocator();
        ShardedDataConnector connector = ShardedDataConnector.fromDataset(root, "java", "v1")) {
      for (int rank = 0; rank < 2; rank++) {
        ReadOptions options = new ReadOptions().batchSize(1000);
        try (ArrowReader reader = connector.getShard(rank, 2, "off").read(allocator, options)) {
          while (reader.loadNextBatch()) {
            VectorSchemaRoot batch = reader.getVectorSchemaRoot();
            BigIntVector ids = (BigIntVector) batch.getVector("id");
            for (int i = 0; i < batch.getRowCount(); i++) {
              union.add(ids.get(i));
            }
          }
        }
      }
    }
    assertEquals(8000, union.size(), "the shards overlap");
    List<Long> expected = LongStream.range(0, 8000).boxed().collect(Collectors.toList());
    assertEquals(expected, union.stream().sorted().collect(Collectors.toList()));
  }

  @Test
  void aMissingVersionIsNotFoundAndNamed() {
    String root = root();
    SluiceException e = assertThrows(SluiceException.class, () -> DataConnector.fromDataset(root, "java", "v9"));
    assertEquals(Status.NOT_FOUND, e.status());
    assertTrue(e.getMessage().contains("no version 'v9'"), e.getMessage());
  }
}
