package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.List;

import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Java and Python (the sluice package, run as a subprocess) give exactly the same rows in the
 * same batches for the same options: the order is the core's, whatever the binding.
 */
class CrossLanguageTest {
  private static BufferAllocator allocator;

  @BeforeAll
  static void open() {
    allocator = new RootAllocator();
  }

  @AfterAll
  static void close() {
    allocator.close();
  }

  @Test
  void multiFileInOrder() {
    ReadOptions options = new ReadOptions().batchSize(1000);
    Columns.Read java = javaRead(List.of(TestData.path("multi")), options);
    assertSame(pythonRead(List.of(TestData.path("multi")), options, null), java);
    assertEquals(LongStream.range(0, 8000).boxed().toList(), java.ids, "files in path order, rows in order");
  }

  @Test
  void shuffledShardedSeeded() {
    ReadOptions options = new ReadOptions().shuffle(true).seed(42).epoch(1).shuffleWindow(700)
        .numShards(3).shardIndex(1).batchSize(256);
    Columns.Read java = javaRead(List.of(TestData.path("multi")), options);
    assertSame(pythonRead(List.of(TestData.path("multi")), options, null), java);
    assertNotEquals(new ArrayList<>(new TreeSet<>(java.ids)), java.ids, "the shard is shuffled");
  }

  @Test
  void shardsOfShardedDataConnectorMatchPythonAndCoverEveryRow() throws java.io.IOException {
    ReadOptions options = new ReadOptions().shuffle(true).seed(7).batchSize(300);
    TreeSet<Long> union = new TreeSet<>();
    int total = 0;
    try (ShardedDataConnector connector = ShardedDataConnector.fromSources(List.of(TestData.path("multi")))) {
      for (int rank = 0; rank < 3; rank++) {
        Columns.Read java;
        try (ArrowReader reader = connector.getShard(rank, 3).read(allocator, options)) {
          java = Columns.ids(reader);
        }
        assertSame(pythonRead(List.of(TestData.path("multi")), options, new Object[] {rank, 3, "off"}), java);
        union.addAll(java.ids);
        total += java.ids.size();
      }
    }
    assertEquals(8000, total, "shards are disjoint");
    assertEquals(8000, union.size(), "shards cover every row");
  }

  @Test
  void explicitFileListWithWorkersLimitAndEqualShards() {
    // files in the given order, not path order
    List<String> sources = List.of(TestData.path("multi/part-3.parquet"), TestData.path("multi/part-1.parquet"),
        TestData.path("multi/part-0.parquet"));
    ReadOptions options = new ReadOptions().columns("id").shuffle(true).seed(3).epoch(2)
        .numShards(4).shardIndex(3).equalShards("pad").numWorkers(2).workerIndex(1).limit(3000).batchSize(128);
    assertSame(pythonRead(sources, options, null), javaRead(sources, options));
  }

  @Test
  void epochsDifferAndRepeat() {
    List<String> sources = List.of(TestData.path("values.parquet"));
    ReadOptions epoch0 = new ReadOptions().columns("id").shuffle(true).seed(11).epoch(0).batchSize(4096);
    ReadOptions epoch1 = new ReadOptions(epoch0).epoch(1);
    Columns.Read first = javaRead(sources, epoch0);
    assertEquals(first.ids, javaRead(sources, epoch0).ids, "the same options give the same order");
    assertNotEquals(first.ids, javaRead(sources, epoch1).ids, "a new epoch gives a new order");
    assertSame(pythonRead(sources, epoch1, null), javaRead(sources, epoch1));
  }

  private static Columns.Read javaRead(List<String> sources, ReadOptions options) {
    try (DataConnector connector = DataConnector.fromSources(sources);
        ArrowReader reader = connector.read(allocator, options)) {
      return Columns.ids(reader);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** dump_ids.py with the same sources and options; shard is {rank, worldSize, equal} or null. */
  private static Columns.Read pythonRead(List<String> sources, ReadOptions options, Object[] shard) {
    String spec = "{\"sources\": " + sources.stream().map(CrossLanguageTest::json).collect(Collectors.joining(", ", "[", "]"))
        + ", \"read_options\": " + options.asMap().entrySet().stream()
            .map(e -> json(e.getKey()) + ": " + json(e.getValue()))
            .collect(Collectors.joining(", ", "{", "}"))
        + ", \"shard\": " + (shard == null ? "null" : "[" + shard[0] + ", " + shard[1] + ", " + json((String) shard[2]) + "]")
        + "}";
    return Columns.Read.parse(TestData.python(TestData.script("dump_ids.py"), spec));
  }

  private static void assertSame(Columns.Read python, Columns.Read java) {
    assertEquals(python.batchLengths, java.batchLengths, "batch lengths");
    assertEquals(python.ids.size(), java.ids.size(), "rows");
    for (int i = 0; i < python.ids.size(); i++) {
      assertEquals(python.ids.get(i), java.ids.get(i), "id at row " + i);
    }
    assertNotEquals(0, java.ids.size(), "the case reads some rows");
  }

  private static String json(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
