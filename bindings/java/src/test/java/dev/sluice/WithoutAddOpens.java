package dev.sluice;

import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * Run by AddOpensTest in a JVM started without --add-opens: reads FILE and prints what the
 * first read and the schema throw (class and message), or "read ok".
 */
public final class WithoutAddOpens {
  private WithoutAddOpens() {}

  public static void main(String[] args) throws Exception {
    try (BufferAllocator allocator = new RootAllocator();
        DataConnector connector = DataConnector.fromSources(List.of(args[0]), Map.of())) {
      try (ArrowReader reader = connector.read(allocator, new ReadOptions())) {
        System.out.println("read ok: " + reader.loadNextBatch());
      } catch (RuntimeException e) {
        System.out.println("read: " + e.getClass().getName() + ": " + e.getMessage());
      }
      try {
        System.out.println("schema ok: " + connector.schema());
      } catch (RuntimeException e) {
        System.out.println("schema: " + e.getClass().getName() + ": " + e.getMessage());
      }
    }
  }
}
