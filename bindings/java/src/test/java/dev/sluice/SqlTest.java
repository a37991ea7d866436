package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DataConnector.fromSql and ShardedDataConnector.fromSql against a real PostgreSQL (docs/sql.md).
 * tools/test-java runs Maven under tools/pg-local, which starts the server and sets
 * SLUICE_TEST_PG_URI and SLUICE_ADBC_DRIVER_PATH; without them these tests fail. Row i of the query has id = i, x = i * 0.25, name = "row i".
 */
class SqlTest extends LeakCheckedTest {
  private static final int ROWS = 3000;
  private static final String QUERY =
      "SELECT i::int8 AS id, i * 0.25::float8 AS x, 'row ' || i AS name "
          + "FROM generate_series(1, 3000) AS i ORDER BY i";

  private static String uri() {
    String uri = System.getenv("SLUICE_TEST_PG_URI");
    if (uri == null || uri.isEmpty()) {
      fail("SLUICE_TEST_PG_URI is not set: run the Java tests under tools/pg-local (tools/test-java does)");
    }
    return uri;
  }

  private List<Long> readIds(DataConnector connector, ReadOptions options) throws IOException {
    try (ArrowReader reader = connector.read(allocator, options)) {
      return readIds(reader);
    }
  }

  /** Every id read, after checking each row's x and name against it. */
  private static List<Long> readIds(ArrowReader reader) throws IOException {
    List<Long> ids = new ArrayList<>();
    while (reader.loadNextBatch()) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      BigIntVector id = (BigIntVector) root.getVector("id");
      Float8Vector x = (Float8Vector) root.getVector("x");
      VarCharVector name = (VarCharVector) root.getVector("name");
      for (int i = 0; i < root.getRowCount(); i++) {
        long value = id.get(i);
        assertEquals(value * 0.25, x.get(i), "x of row " + value);
        assertEquals("row " + value, name.getObject(i).toString());
        ids.add(value);
      }
    }
    return ids;
  }

  private List<Long> readIds(DataShard shard, ReadOptions options) throws IOException {
    try (ArrowReader reader = shard.read(allocator, options)) {
      return readIds(reader);
    }
  }

  private static List<Long> oneTo(int n) {
    return LongStream.rangeClosed(1, n).boxed().collect(Collectors.toList());
  }

  @Test
  void rowsArriveInOrderWithTheirValues() throws IOException {
    try (DataConnector connector = DataConnector.fromSql("postgresql", uri(), QUERY)) {
      assertEquals(oneTo(ROWS), readIds(connector, new ReadOptions().batchSize(1000)));
      assertEquals(List.of(), connector.sources());
      assertTrue(connector.toString().contains("a query"), connector.toString());
    }
  }

  @Test
  void partitionsAndAShuffleReadEveryRowOnce(@TempDir Path dir) throws IOException {
    try (DataConnector connector =
        DataConnector.fromSql(
            "postgresql",
            uri(),
            QUERY,
            Map.of("partition_on", "id", "partitions", "3"),
            Map.of("snapshot_dir", dir.resolve("snapshots").toString()))) {
      ReadOptions options = new ReadOptions().shuffle(true).seed(9).batchSize(400);
      List<Long> first = readIds(connector, options);
      assertEquals(first, readIds(connector, options), "the same seed gave another order");
      assertNotEquals(oneTo(ROWS), first, "not shuffled");
      assertEquals(oneTo(ROWS), first.stream().sorted().collect(Collectors.toList()));
      assertTrue(Files.list(dir.resolve("snapshots")).findAny().isPresent(), "no snapshot written");
    }
  }

  @Test
  void theShardsOfAQueryAreDisjointAndEachReadsItsRowsAgainFromTheSnapshot(@TempDir Path dir) throws IOException {
    try (ShardedDataConnector connector =
        ShardedDataConnector.fromSql(
            "postgresql", uri(), QUERY, Map.of(), Map.of("snapshot_dir", dir.resolve("snapshots").toString()))) {
      List<ReadOptions> reads =
          List.of(new ReadOptions().batchSize(500), new ReadOptions().shuffle(true).seed(5).batchSize(500));
      for (ReadOptions options : reads) {
        List<Long> union = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
          DataShard shard = connector.getShard(rank, 2, "off");
          List<Long> ids = readIds(shard, options);
          assertEquals(ids, readIds(shard, options), "shard " + rank + " read other rows the second time");
          assertTrue(ids.size() >= ROWS / 2 - 1 && ids.size() <= ROWS / 2 + 1, "shard " + rank + ": " + ids.size());
          union.addAll(ids);
        }
        assertEquals(ROWS, union.size(), "the shards overlap");
        assertEquals(oneTo(ROWS), union.stream().sorted().collect(Collectors.toList()));
      }
      assertTrue(Files.list(dir.resolve("snapshots")).findAny().isPresent(), "no snapshot written");
    }
  }

  @Test
  void errorsNameTheSourceWithoutItsPassword() {
    String wrong = uri().replaceFirst("(://[^:/@]+:)[^@]*@", "$1Wr0ng-Pa55word@");
    assertNotEquals(uri(), wrong);
    SluiceException e =
        assertThrows(SluiceException.class, () -> DataConnector.fromSql("postgresql", wrong, "SELECT 1"));
    assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
    assertFalse(e.getMessage().contains("Wr0ng-Pa55word"), e.getMessage());

    e =
        assertThrows(
            SluiceException.class,
            () ->
                DataConnector.fromSql(
                    "postgresql", uri(), QUERY, Map.of("partition_on", "no_such_column", "partitions", "2"), null));
    assertEquals(Status.INVALID_ARGUMENT, e.status(), e.getMessage());
    assertTrue(e.getMessage().contains("no_such_column"), e.getMessage());

    e = assertThrows(SluiceException.class, () -> DataConnector.fromSql("postgresql", uri(), "SELEC 1 AS broken"));
    assertTrue(e.getMessage().contains("SELEC 1 AS broken"), e.getMessage());

    e = assertThrows(SluiceException.class, () -> DataConnector.fromSql("no_such_driver", uri(), "SELECT 1"));
    assertTrue(e.getMessage().contains("no_such_driver"), e.getMessage());
  }
}
