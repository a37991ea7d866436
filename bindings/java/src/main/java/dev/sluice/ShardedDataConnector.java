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

  /** Wraps a connector the core opened from a query or a dataset version. */
  private ShardedDataConnector(long address, Map<String, String> sourceOptions) {
    super(address, sourceOptions);
  }

  public static ShardedDataConnector fromSources(List<String> sources, Map<String, String> sourceOptions) {
    return new ShardedDataConnector(sources, sourceOptions);
  }

  /**
   * {@link DataConnector#fromSql(String, String, String, Map, Map)}, sharded: a query's result,
   * whose shards (and shuffles) are read from the snapshot written once as the result streams
   * ({@code snapshot_dir} and the other snapshot options are source options). The ranks of one
   * job that open the query separately agree on one snapshot when they share a
   * {@code snapshot_id} (docs/sources-from-streams.md); else each rank runs the query.
   *
   * @param driver a short name (postgresql, sqlite, snowflake, flightsql, duckdb), a driver
   *     library's path or an ADBC driver manifest
   * @param uri the database: a URI, or a file for SQLite and DuckDB
   * @param sqlOptions partition_on, partitions, connect_timeout, driver_search_path,
   *     entrypoint; any other key goes to the driver (username, password, adbc.*)
   * @param sourceOptions source options (docs/options.md), the snapshot's included
   * @throws SluiceException as DataConnector.fromSql: each names the URI without its password
   *     and the query
   */
  public static ShardedDataConnector fromSql(
      String driver,
      String uri,
      String query,
      Map<String, String> sqlOptions,
      Map<String, String> sourceOptions) {
    Map<String, String> options = orEmpty(sourceOptions);
    return new ShardedDataConnector(openSql(driver, uri, query, sqlOptions, options), options);
  }

  /** fromSql with default SQL and source options. */
  public static ShardedDataConnector fromSql(String driver, String uri, String query) {
    return fromSql(driver, uri, query, Map.of(), Map.of());
  }

  /**
   * {@link DataConnector#fromDataset(String, String, String, Map, boolean)}, sharded: version
   * {@code version} of dataset {@code name} under {@code root}, each file checked against the
   * manifest (with {@code verify}, its SHA-256 too). {@code sourceOptions}: the object store's.
   *
   * @throws SluiceException a missing dataset, version or file (NOT_FOUND), an altered file or a
   *     corrupt manifest (INVALID_DATA) …
   */
  public static ShardedDataConnector fromDataset(
      String root, String name, String version, Map<String, String> sourceOptions, boolean verify) {
    Map<String, String> options = orEmpty(sourceOptions);
    return new ShardedDataConnector(openDataset(root, name, version, options, verify), options);
  }

  /** fromDataset with no store options and no checksum check. */
  public static ShardedDataConnector fromDataset(String root, String name, String version) {
    return fromDataset(root, name, version, Map.of(), false);
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
