package dev.sluice;

import java.util.List;
import java.util.Map;

/**
 * A {@link DataConnector} for distributed training: {@link #getShard} gives each rank its
 * disjoint part of every epoch (docs/options.md, num_shards / shard_index / equal_shards).
 */
public final class ShardedDataConnector extends DataConnector {
  private ShardedDataConnector(List<String> sources, Map<String, String> sourceOptions) {
    super(sources, sourceOptions);
  }

  public static ShardedDataConnector fromSources(List<String> sources) {
    return fromSources(sources, Map.of());
  }

  public static ShardedDataConnector fromSources(List<String> sources, Map<String, String> sourceOptions) {
    return new ShardedDataConnector(sources, sourceOptions);
  }

  /** The shard of the rank in $RANK out of $WORLD_SIZE (set by torchrun); 0 of 1 without them. */
  public DataShard getShard() {
    return getShard(envInt("RANK", 0), envInt("WORLD_SIZE", 1));
  }

  /** The shard of {@code rank} out of {@code worldSize}; shard lengths differ by at most one row. */
  public DataShard getShard(int rank, int worldSize) {
    return getShard(rank, worldSize, "off");
  }

  /** The shard of {@code rank} with {@code equal} = "off", "drop" or "pad" (equal_shards). */
  public DataShard getShard(int rank, int worldSize, String equal) {
    return new DataShard(this, rank, worldSize, equal);
  }

  private static int envInt(String name, int fallback) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "sluice: environment variable " + name + "=" + value + " is not an integer", e);
    }
  }
}
