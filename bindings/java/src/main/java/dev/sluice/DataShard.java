package dev.sluice;

import java.util.LinkedHashMap;
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
    return read(DataConnector.DefaultAllocator.get(), options);
  }

  public ArrowReader read(BufferAllocator allocator) {
    return read(allocator, null);
  }

  /**
   * A reader over this shard's rows. The core merges the shard's options with {@code options}
   * (read option fixed_options, docs/options.md): setting num_shards, shard_index or
   * equal_shards in {@code options} is a SluiceException (INVALID_ARGUMENT) naming it.
   */
  public ArrowReader read(BufferAllocator allocator, ReadOptions options) {
    return connector.read(allocator, fixedOptions(), options);
  }

  public long countRows(ReadOptions options) {
    return connector.countRows(fixedOptions(), options);
  }

  /** The shard's options, fixed: the core refuses a read option that sets one again. */
  private Map<String, String> fixedOptions() {
    Map<String, String> fixed = new LinkedHashMap<>(
        new ReadOptions().numShards(worldSize).shardIndex(rank).equalShards(equal).asMap());
    fixed.put("fixed_options", "[\"num_shards\",\"shard_index\",\"equal_shards\"]");
    return fixed;
  }

  @Override
  public String toString() {
    return "<sluice.DataShard rank=" + rank + " world_size=" + worldSize + " equal=" + equal + ">";
  }
}
