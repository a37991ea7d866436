package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * Counts what a reader costs per batch: the allocations from the allocator it reads into
 * ({@link #allocator}), and the Java heap the test's thread allocates.
 */
final class Allocations implements AllocationListener {
  /** What the batches after the first cost, together: the first sets the reader up. */
  record AfterFirst(int batches, long allocations, long heapBytes) {
    long heapPerBatch() {
      return heapBytes / batches;
    }

    long allocationsPerBatch() {
      return allocations / batches;
    }
  }

  private final AtomicLong count = new AtomicLong();
  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private final long thread = Thread.currentThread().getId();

  @Override
  public void onAllocation(long size) {
    count.incrementAndGet();
  }

  /** An allocator whose allocations this counts. */
  BufferAllocator allocator() {
    return new RootAllocator(this, Long.MAX_VALUE);
  }

  /** Loads the first batch, then the rest, counting what the rest cost. */
  AfterFirst readAfterFirst(ArrowReader reader) throws IOException {
    assertTrue(reader.loadNextBatch(), "the reader has no batch");
    long allocations = count.get();
    long heap = threads.getThreadAllocatedBytes(thread);
    int batches = 0;
    while (reader.loadNextBatch()) {
      batches++;
    }
    return new AfterFirst(batches, count.get() - allocations, threads.getThreadAllocatedBytes(thread) - heap);
  }
}
