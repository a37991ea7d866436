package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;
import org.junit.jupiter.api.Test;

/** Values read through sluice equal what pyarrow reads from the same file, and the known data. */
class ReadValuesTest extends LeakCheckedTest {

  @Test
  void everyValueEqualsPyarrow() throws IOException {
    Map<String, List<Object>> expected = pyarrowValues(TestData.dir().resolve("values.arrow"));
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
        ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(1000))) {
      Map<String, List<Object>> actual = Columns.values(reader);
      assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
      for (String column : expected.keySet()) {
        Columns.assertSameValues(expected.get(column), actual.get(column), column);
      }
    }
  }

  @Test
  void knownValuesBatchesAndSchema() throws IOException {
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")), Map.of())) {
      assertEquals(10_000, connector.numRows());
      Schema schema = connector.schema();
      assertEquals(List.of("id", "x", "name", "flag", "k", "f32"),
          schema.getFields().stream().map(f -> f.getName()).toList());
      assertEquals(new ArrowType.Int(64, true), schema.findField("id").getType());
      assertEquals(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), schema.findField("x").getType());
      assertEquals(ArrowType.Utf8.INSTANCE, schema.findField("name").getType());
      assertEquals(ArrowType.Bool.INSTANCE, schema.findField("flag").getType());

      try (ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(3000))) {
        List<Integer> lengths = new ArrayList<>();
        long row = 0;
        while (reader.loadNextBatch()) {
          VectorSchemaRoot root = reader.getVectorSchemaRoot();
          lengths.add(root.getRowCount());
          for (int i = 0; i < root.getRowCount(); i++, row++) {
            assertEquals(row, root.getVector("id").getObject(i));
            Object x = root.getVector("x").getObject(i);
            if (row % 7 == 0) {
              assertNull(x, "x is null at id " + row);
            } else {
              assertEquals(row * 0.5, (Double) x, 0.0);
            }
            assertEquals(new Text("row-" + row), root.getVector("name").getObject(i));
            assertEquals(row % 3 == 0, root.getVector("flag").getObject(i));
          }
        }
        // exact batches across the file's row groups of 1,500
        assertEquals(List.of(3000, 3000, 3000, 1000), lengths);
      }
    }
  }

  @Test
  void projectionLimitAndCount() throws IOException {
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")))) {
      ReadOptions options = new ReadOptions().columns("name", "id").limit(2500).batchSize(1024);
      assertEquals(2500, connector.countRows(options));
      try (ArrowReader reader = connector.read(allocator, options)) {
        assertEquals(List.of("name", "id"),
            reader.getVectorSchemaRoot().getSchema().getFields().stream().map(f -> f.getName()).toList());
        Map<String, List<Object>> values = Columns.values(reader);
        assertEquals(2500, values.get("id").size());
        assertEquals(2499L, values.get("id").get(2499));
        assertEquals(new Text("row-1234"), values.get("name").get(1234));
      }
    }
  }

  @Test
  void packedFeaturesAreRowMajorFloat32() throws IOException {
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
        ArrowReader reader = connector.read(allocator,
            new ReadOptions().features("f32", "k").label("id").batchSize(4096))) {
      long row = 0;
      while (reader.loadNextBatch()) {
        VectorSchemaRoot root = reader.getVectorSchemaRoot();
        FixedSizeListVector features = (FixedSizeListVector) root.getVector("features");
        assertEquals(2, features.getListSize());
        Float4Vector values = (Float4Vector) features.getDataVector();
        for (int i = 0; i < root.getRowCount(); i++, row++) {
          float[] expected = {row * 0.25f, (float) (row % 10)};
          float[] actual = {values.get(2 * i), values.get(2 * i + 1)};
          assertArrayEquals(expected, actual, "features of row " + row);
          assertEquals(row, root.getVector("id").getObject(i));
        }
      }
      assertEquals(10_000, row);
    }
  }

  @Test
  void sourceOptionsReachTheCore() throws IOException {
    // format=parquet for a file whose name says nothing
    Path copy = TestData.dir().resolve("values-copy.data");
    java.nio.file.Files.copy(TestData.dir().resolve("values.parquet"), copy,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    try (DataConnector connector = DataConnector.fromSources(List.of(copy.toString()), Map.of("format", "parquet"));
        ArrowReader reader = connector.read(allocator, new ReadOptions().columns("k"))) {
      List<Object> k = Columns.values(reader).get("k");
      assertEquals(10_000, k.size());
      assertEquals(7, k.get(17));
    }
  }

  @Test
  void streamOutlivesItsConnector() throws IOException {
    DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
    try (ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(4000))) {
      connector.close();
      assertTrue(connector.isClosed());
      int rows = 0;
      while (reader.loadNextBatch()) {
        rows += reader.getVectorSchemaRoot().getRowCount();
      }
      assertEquals(10_000, rows);
      assertFalse(reader.loadNextBatch(), "the end stays the end");
    }
  }

  @Test
  void defaultAllocatorReadAndInt32Column() throws IOException {
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
        ArrowReader reader = connector.read(new ReadOptions().columns("k").batchSize(10_000))) {
      assertTrue(reader.loadNextBatch());
      IntVector k = (IntVector) reader.getVectorSchemaRoot().getVector("k");
      long sum = 0;
      for (int i = 0; i < k.getValueCount(); i++) {
        sum += k.get(i);
      }
      assertEquals(1000L * 45, sum);
    }
  }

  private Map<String, List<Object>> pyarrowValues(Path ipcFile) throws IOException {
    try (FileChannel channel = FileChannel.open(ipcFile, StandardOpenOption.READ);
        ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
      return Columns.values(reader);
    }
  }
}
