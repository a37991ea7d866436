package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input gives a clear exception, never a JVM crash, and leaks nothing. */
class ErrorsTest {
  private BufferAllocator allocator;

  @BeforeEach
  void open() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void close() {
    allocator.close();
  }

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
      IllegalArgumentException clash = assertThrows(IllegalArgumentException.class,
          () -> connector.getShard(0, 2).read(allocator, new ReadOptions().numShards(4)));
      assertTrue(clash.getMessage().contains("num_shards"), clash.getMessage());
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
      Exception error = assertThrows(Exception.class, () -> {
        try (ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(1000))) {
          while (reader.loadNextBatch()) {
            // read until the damage is found
          }
        }
      });
      // before the first batch: SluiceException; in the middle: Arrow's IOException with the core's message
      assertTrue(error instanceof SluiceException || error instanceof IOException, error.toString());
      assertTrue(error.getMessage().contains("changes-under-us.parquet"), error.getMessage());
    }
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
