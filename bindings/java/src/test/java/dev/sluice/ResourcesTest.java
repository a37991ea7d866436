package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Closing everything frees everything: Arrow buffers, native connectors, streams, threads. */
class ResourcesTest {
  @Test
  void rootAllocatorClosesCleanlyAfterFullPartialAndAbandonedReads() throws IOException {
    BufferAllocator root = new RootAllocator();
    try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("multi")))) {
      Schema schema = connector.schema();
      assertEquals(3, schema.getFields().size());
      try (ArrowReader full = connector.read(root, new ReadOptions().batchSize(777))) {
        while (full.loadNextBatch()) {
          assertTrue(root.getAllocatedMemory() > 0, "batches live in the caller's allocator");
        }
      }
      try (ArrowReader partial = connector.read(root, new ReadOptions().shuffle(true).batchSize(100))) {
        partial.loadNextBatch();
      }
      try (ArrowReader unread = connector.read(root, new ReadOptions())) {
        assertEquals(schema, unread.getVectorSchemaRoot().getSchema());
      }
    }
    assertEquals(0, root.getAllocatedMemory());
    root.close(); // throws IllegalStateException on any leaked buffer
  }

  @Test
  void manyStreamsOpenedAndClosedWithoutGrowth() throws IOException {
    try (BufferAllocator root = new RootAllocator();
        DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")))) {
      ReadOptions options = new ReadOptions().batchSize(512).shuffle(true).seed(1);
      loop(connector, root, options, 50); // warm up: runtime threads, allocator pools, JIT
      System.gc();
      long fds = openFileDescriptors();
      long threads = nativeThreads();
      long rss = residentBytes();

      loop(connector, root, options, 600);
      System.gc();
      long fdGrowth = openFileDescriptors() - fds;
      long threadGrowth = nativeThreads() - threads;
      long rssGrowth = residentBytes() - rss;
      System.out.printf("600 streams: fds %+d, threads %+d, rss %+d MiB%n", fdGrowth, threadGrowth, rssGrowth >> 20);
      // A leak per stream would add 600 of each; the JVM itself starts a few threads (JIT, GC) as it goes.
      assertTrue(fdGrowth <= 16, "open file descriptors grew by " + fdGrowth);
      assertTrue(threadGrowth <= 32, "threads grew by " + threadGrowth);
      // 300 full reads of ~0.37 MB decoded each: leaking their batches would add ~110 MiB;
      // the JVM heap and the allocators account for the rest (15-25 MiB seen)
      assertTrue(rssGrowth < 64L << 20, "resident memory grew by " + (rssGrowth >> 20) + " MiB");
      assertEquals(0, root.getAllocatedMemory());
    }
  }

  @Test
  void manyConnectorsOpenedAndClosed() {
    int before = ConnectorHandle.LIVE.get();
    for (int i = 0; i < 300; i++) {
      try (DataConnector connector = DataConnector.fromSources(List.of(TestData.path("values.parquet")))) {
        assertEquals(10_000, connector.numRows());
      }
    }
    assertEquals(before, ConnectorHandle.LIVE.get());
  }

  @Test
  void cleanerFreesConnectorsNobodyClosed() throws InterruptedException {
    int before = ConnectorHandle.LIVE.get();
    for (int i = 0; i < 20; i++) {
      DataConnector.fromSources(List.of(TestData.path("values.parquet"))).numRows();
    }
    assertTrue(ConnectorHandle.LIVE.get() >= before + 1, "some are still open before a GC");
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (ConnectorHandle.LIVE.get() > before && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(50);
    }
    assertEquals(before, ConnectorHandle.LIVE.get(), "the Cleaner freed every unreachable connector");
  }

  @Test
  void oneConnectorReadFromManyThreads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (BufferAllocator root = new RootAllocator();
        DataConnector connector = DataConnector.fromSources(List.of(TestData.path("multi")))) {
      ReadOptions options = new ReadOptions().shuffle(true).seed(5).batchSize(333);
      List<Future<List<Long>>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        results.add(pool.submit(() -> {
          try (BufferAllocator child = root.newChildAllocator("reader", 0, Long.MAX_VALUE);
              ArrowReader reader = connector.read(child, options)) {
            return Columns.ids(reader).ids;
          }
        }));
      }
      List<Long> first = results.get(0).get();
      assertEquals(8000, first.size());
      for (Future<List<Long>> result : results) {
        assertEquals(first, result.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void loop(DataConnector connector, BufferAllocator root, ReadOptions options, int times)
      throws IOException {
    for (int i = 0; i < times; i++) {
      try (ArrowReader reader = connector.read(root, options)) {
        // alternate full reads and reads abandoned after one batch
        int batches = i % 2 == 0 ? Integer.MAX_VALUE : 1;
        for (int b = 0; b < batches && reader.loadNextBatch(); b++) {
          assertTrue(reader.getVectorSchemaRoot().getRowCount() > 0);
        }
      }
    }
  }

  private static long openFileDescriptors() throws IOException {
    try (var entries = Files.list(Path.of("/proc/self/fd"))) {
      return entries.count();
    }
  }

  private static long nativeThreads() throws IOException {
    return statusField("Threads:");
  }

  private static long residentBytes() throws IOException {
    return statusField("VmRSS:") * 1024;
  }

  private static long statusField(String name) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(name)) {
        return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
      }
    }
    throw new IllegalStateException(name + " not in /proc/self/status");
  }
}
