package dev.sluice;

import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The rows of one rank: every read carries num_shards, shard_index and equal_shards. Checking
 * rank and world size is the core's job (an out-of-range rank fails the read with a
 * SluiceException naming shard_index).
 */
public final class DataShard {
  private final DataConnector connector;
  private final int rank;
  private final int worldSize;
  private final String equal;

  DataShard(DataConnector connector, int rank, int worldSize, String equal) {
    this.connector = connector;
    this.rank = rank;
    this.worldSize = worldSize;
    this.equal = equal;
  }

  public int rank() {
    return rank;
  }

  public int worldSize() {
    return worldSize;
  }

  public String equal() {
    return equal;
  }

  public Schema schema() {
    return connector.schema();
  }

  public ArrowReader read(ReadOptions options) {
    return connector.read(merged(options));
  }

  public ArrowReader read(BufferAllocator allocator) {
    return connector.read(allocator, merged(null));
  }

  public ArrowReader read(BufferAllocator allocator, ReadOptions options) {
    return connector.read(allocator, merged(options));
  }

  public long countRows(ReadOptions options) {
    return connector.countRows(merged(options));
  }

  /** The shard's fixed options, then {@code options}; setting a fixed one again is an error. */
  private ReadOptions merged(ReadOptions options) {
    ReadOptions merged =
        new ReadOptions().numShards(worldSize).shardIndex(rank).equalShards(equal);
    if (options != null) {
      for (Map.Entry<String, String> entry : options.asMap().entrySet()) {
        if (merged.asMap().containsKey(entry.getKey())) {
          throw new IllegalArgumentException(
              "sluice: " + entry.getKey() + " is fixed by this DataShard (" + this
                  + "); it cannot be set in the read options");
        }
        merged.set(entry.getKey(), entry.getValue());
      }
    }
    return merged;
  }

  @Override
  public String toString() {
    return "<sluice.DataShard rank=" + rank + " world_size=" + worldSize + " equal=" + equal + ">";
  }
}
