package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input gives a clear exception, never a JVM crash, and leaks nothing. */
class ErrorsTest extends LeakCheckedTest {
  private static SluiceException sluiceError(Status status, Executable call, String... inMessage) {
    SluiceException error = assertThrows(SluiceException.class, call);
    assertEquals(status, error.status(), error.getMessage());
    assertEquals(status.code(), error.code());
    for (String part : inMessage) {
      assertTrue(error.getMessage().contains(part), "'" + part + "' in: " + error.getMessage());
    }
    return error;
  }

  @Test
  void missingFile() {
    String missing = TestData.dir().resolve("no-such-file.parquet").toString();
    sluiceError(Status.NOT_FOUND, () -> DataConnector.fromSources(List.of(missing)), missing);
  }

  @Test
  void globMatchingNothingAndNoSources() {
    String glob = TestData.dir().resolve("nothing-*.parquet").toString();
    sluiceError(Status.NOT_FOUND, () -> DataConnector.fromSources(List.of(glob)));
    assertThrows(SluiceException.class, () -> DataConnector.fromSources(List.of()));
  }

  @Test
  void badSourceOptions() {
    List<String> sources = List.of(TestData.path("values.parquet"));
    sluiceError(Status.INVALID_ARGUMENT,
        () -> DataConnector.fromSources(sources, Map.of("no_such_option", "1")), "no_such_option");
    sluiceError(Status.INVALID_ARGUMENT,
        () -> DataConnector.fromSources(sources, Map.of("csv_delimiter", "ab")), "csv_delimiter");
    sluiceError(Status.INVALID_ARGUMENT,
        () -> DataConnector.fromSources(sources, Map.of("format", "excel")), "format");
  }

  @Test
  void badReadOptions() {
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")))) {
      sluiceError(Status.INVALID_ARGUMENT, () -> connector.read(allocator, new ReadOptions().batchSize(0)), "batch_size");
      sluiceError(Status.INVALID_ARGUMENT,
          () -> connector.read(allocator, new ReadOptions().set("batchsize", "10")), "batchsize");
      sluiceError(Status.INVALID_ARGUMENT,
          () -> connector.read(allocator, new ReadOptions().set("shuffle", "maybe")), "shuffle");
      sluiceError(Status.INVALID_ARGUMENT,
          () -> connector.read(allocator, new ReadOptions().columns("id", "no_such_column")), "no_such_column");
      sluiceError(Status.INVALID_ARGUMENT,
          () -> connector.read(allocator, new ReadOptions().numShards(3).shardIndex(3)), "shard_index");
      sluiceError(Status.INVALID_ARGUMENT,
          () -> connector.countRows(new ReadOptions().set("limit", "-1")), "limit");
      // the connector still works after all that
      assertEquals(10_000, connector.countRows(null));
    }
  }

  @Test
  void shardOutOfRangeAndFixedOptions() {
    try (ShardedDataConnector connector = ShardedDataConnector.fromSources(List.of(TestData.path("values.parquet")))) {
      sluiceError(Status.INVALID_ARGUMENT, () -> connector.getShard(5, 3).read(allocator), "shard_index");
      sluiceError(Status.INVALID_ARGUMENT, () -> connector.getShard(0, 2, "sometimes").read(allocator), "equal_shards");
      // the core merges the shard's options with the read's (fixed_options), as for Python
      DataShard shard = connector.getShard(0, 2);
      sluiceError(Status.INVALID_ARGUMENT, () -> shard.read(allocator, new ReadOptions().numShards(4)), "'num_shards' is fixed");
      sluiceError(Status.INVALID_ARGUMENT, () -> shard.read(allocator, new ReadOptions().shardIndex(0)), "'shard_index' is fixed");
      sluiceError(Status.INVALID_ARGUMENT, () -> shard.countRows(new ReadOptions().equalShards("off")), "'equal_shards' is fixed");
      assertEquals(connector.countRows(new ReadOptions().numShards(2).shardIndex(0).batchSize(7)),
          shard.countRows(new ReadOptions().batchSize(7)));
    }
  }

  @Test
  void corruptAndTruncatedFiles() {
    for (String name : List.of("corrupt.parquet", "truncated.parquet")) {
      String path = TestData.path(name);
      sluiceError(Status.INVALID_DATA, () -> DataConnector.fromSources(List.of(path)), name);
    }
  }

  @Test
  void fileCorruptedAfterOpenFailsTheStreamNotTheJvm() throws IOException {
    Path copy = TestData.dir().resolve("changes-under-us.parquet");
    Files.copy(TestData.dir().resolve("values.parquet"), copy, StandardCopyOption.REPLACE_EXISTING);
    try (DataConnector connector = DataConnector.fromSources(List.of(copy.toString()))) {
      byte[] bytes = Files.readAllBytes(copy);
      Arrays.fill(bytes, 4, bytes.length - 4096, (byte) 0x5a); // data pages gone, footer kept
      Files.write(copy, bytes);
      SluiceException error = assertThrows(SluiceException.class, () -> {
        try (ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(1000))) {
          while (reader.loadNextBatch()) {
            // read until the damage is found
          }
        }
      });
      assertTrue(error.getMessage().contains("changes-under-us.parquet"), error.getMessage());
    }
  }

  @Test
  void corruptPageFoundWhileReadingThrowsTheCoresStatus() throws IOException {
    // the footer is valid (the open succeeds); the second row group's pages are garbage. One
    // batch per chunk, so that the first batch comes before the error (ChunkedReadTest has the
    // error of a chunk that holds the damage).
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("corrupt_pages.parquet")));
        ArrowReader reader = connector.read(allocator,
            new ReadOptions().batchSize(1000).fragmentsInFlight(1).set("batches_per_chunk", "1"))) {
      assertTrue(reader.loadNextBatch());
      BigIntVector ids = (BigIntVector) reader.getVectorSchemaRoot().getVector("id");
      assertEquals(1000, ids.getValueCount());
      for (int i = 0; i < 1000; i++) {
        assertEquals(i, ids.get(i));
      }
      sluiceError(Status.INVALID_DATA, reader::loadNextBatch, "corrupt_pages.parquet");
      // the reader stays failed: the error is never taken for the end of the rows
      sluiceError(Status.INVALID_DATA, reader::loadNextBatch, "corrupt_pages.parquet");
    }
  }

  @Test
  void statusEnumMatchesTheHeader() throws IOException {
    String header = Files.readString(Path.of(TestData.property("sluice.test.header")));
    String body = header.substring(header.indexOf("typedef enum sluice_status {"), header.indexOf("} sluice_status;"));
    Map<String, Integer> inHeader = new TreeMap<>();
    Matcher m = Pattern.compile("\\bSLUICE_([A-Z_]+) = ([0-9]+),").matcher(body);
    while (m.find()) {
      inHeader.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    assertTrue(inHeader.size() >= 10, inHeader.toString());
    Map<String, Integer> inJava = new TreeMap<>();
    for (Status status : Status.values()) {
      if (status != Status.UNKNOWN) {
        inJava.put(status.name(), status.code());
      }
    }
    assertEquals(inHeader, inJava);
  }

  @Test
  void nulInAnOptionIsRefusedNamingIt() {
    String values = TestData.path("values.parquet");
    IllegalArgumentException delimiter = assertThrows(IllegalArgumentException.class,
        () -> DataConnector.fromSources(List.of(values), Map.of("csv_delimiter", ",\0")));
    assertTrue(delimiter.getMessage().contains("csv_delimiter") && delimiter.getMessage().contains("NUL"),
        delimiter.getMessage());
    IllegalArgumentException secret = assertThrows(IllegalArgumentException.class,
        () -> DataConnector.fromSources(List.of(values), Map.of("secret_access_key", "hunter2\0")));
    assertTrue(!secret.getMessage().contains("hunter2"), secret.getMessage());
    try (DataConnector connector = DataConnector.fromSources(List.of(values))) {
      IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
          () -> connector.read(allocator, new ReadOptions().set("batch_size", "5\0junk")));
      assertTrue(batch.getMessage().contains("batch_size"), batch.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> connector.countRows(new ReadOptions().set("batch\0size", "5")));
    }
    // the JNI glue refuses a NUL byte too, rather than let C cut the string there
    byte[][] source = {values.getBytes(StandardCharsets.UTF_8)};
    byte[][] keys = {"batch_size".getBytes(StandardCharsets.UTF_8)};
    byte[][] cut = {"5\0junk".getBytes(StandardCharsets.UTF_8)};
    IllegalArgumentException glue =
        assertThrows(IllegalArgumentException.class, () -> Native.connectorOpen(source, keys, cut));
    assertTrue(glue.getMessage().contains("NUL"), glue.getMessage());
  }

  @Test
  void closedConnector() {
    DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")));
    connector.close();
    connector.close(); // idempotent
    assertTrue(connector.isClosed());
    assertThrows(IllegalStateException.class, () -> connector.read(allocator, new ReadOptions()));
    assertThrows(IllegalStateException.class, connector::numRows);
    assertThrows(IllegalStateException.class, connector::schema);
    assertThrows(IllegalStateException.class, () -> connector.countRows(new ReadOptions()));
    assertTrue(connector.toString().contains("closed"));
  }

  @Test
  void badJavaArguments() {
    String values = TestData.path("values.parquet");
    assertThrows(NullPointerException.class, () -> DataConnector.fromSources(null));
    List<String> withNull = new ArrayList<>();
    withNull.add(null);
    assertThrows(NullPointerException.class, () -> DataConnector.fromSources(withNull));
    IllegalArgumentException nul =
        assertThrows(IllegalArgumentException.class, () -> DataConnector.fromSources(List.of(values + "\0x")));
    assertTrue(nul.getMessage().contains("NUL"), nul.getMessage());
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("format", null);
    assertThrows(NullPointerException.class, () -> DataConnector.fromSources(List.of(values), nullValue));
    try (DataConnector connector = DataConnector.fromSources(List.of(values))) {
      assertThrows(NullPointerException.class, () -> connector.read((BufferAllocator) null, new ReadOptions()));
    }
  }

  @Test
  void nonAsciiPathsAndMessagesSurvive() throws IOException {
    Path dir = Files.createDirectories(TestData.dir().resolve("données-😀"));
    Path copy = dir.resolve("valeurs.parquet");
    Files.copy(TestData.dir().resolve("values.parquet"), copy, StandardCopyOption.REPLACE_EXISTING);
    try (DataConnector connector = DataConnector.fromSources(List.of(copy.toString()))) {
      assertEquals(10_000, connector.numRows());
    }
    String missing = dir.resolve("absent-é.parquet").toString();
    sluiceError(Status.NOT_FOUND, () -> DataConnector.fromSources(List.of(missing)), missing);
  }
}
