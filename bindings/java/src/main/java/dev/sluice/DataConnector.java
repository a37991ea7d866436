package dev.sluice;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.ArrowSchema;
import org.apache.arrow.c.CDataDictionaryProvider;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Rows from files or object-store URIs (Parquet, Arrow IPC, CSV, NDJSON), read as Arrow Java.
 *
 * <pre>{@code
 * try (BufferAllocator allocator = new RootAllocator();
 *      DataConnector connector = DataConnector.fromSources(List.of("data/train"), Map.of());
 *      ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(1024))) {
 *   while (reader.loadNextBatch()) {
 *     VectorSchemaRoot batch = reader.getVectorSchemaRoot(); // valid until the next loadNextBatch
 *   }
 * }
 * }</pre>
 *
 * <p>A connector is immutable and may be shared between threads; every read is a new,
 * independent stream, which stays valid after the connector is closed. Which rows come out, and
 * in which order, is decided by the core (docs/options.md), the same as in Python and C.
 */
public class DataConnector implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();

  private final ConnectorHandle handle;
  private final Cleaner.Cleanable cleanable;
  private final List<String> sources;
  private final Map<String, String> sourceOptions;
  private Schema schema;

  /** Opens the sources; subclasses call this so that the Cleaner watches the object handed out. */
  DataConnector(List<String> sources, Map<String, String> sourceOptions) {
    NativeLibrary.ensureLoaded();
    // Copies that keep nulls, so that NativeStrings can name the bad entry.
    this.sources = Collections.unmodifiableList(
        new ArrayList<>(Objects.requireNonNull(sources, "sluice: sources is null")));
    this.sourceOptions = Collections.unmodifiableMap(
        sourceOptions == null ? new LinkedHashMap<>() : new LinkedHashMap<>(sourceOptions));
    byte[][][] keysValues = NativeStrings.options(this.sourceOptions);
    long address = Native.connectorOpen(NativeStrings.sources(this.sources), keysValues[0], keysValues[1]);
    this.handle = new ConnectorHandle(address);
    // The safety net: a connector nobody closed is freed once it is unreachable.
    this.cleanable = CLEANER.register(this, handle);
  }

  /** Wraps a connector the core opened some other way (a query's: fromSql; a dataset version). */
  DataConnector(long address, Map<String, String> sourceOptions) {
    this.sources = List.of();
    this.sourceOptions = Collections.unmodifiableMap(
        sourceOptions == null ? new LinkedHashMap<>() : new LinkedHashMap<>(sourceOptions));
    this.handle = new ConnectorHandle(address);
    this.cleanable = CLEANER.register(this, handle);
  }

  /**
   * Version {@code version} of dataset {@code name} under {@code root} (a directory or an s3://,
   * gs://, az:// URI; see docs/datasets.md): its files in the manifest's order, each checked
   * against the manifest (its size; with {@code verify}, its SHA-256 too). Reads leave out the
   * version's exclude_cols unless they name them. {@code sourceOptions}: the object store's.
   *
   * @throws SluiceException a missing dataset, version or file (NOT_FOUND), an altered file or a
   *     corrupt manifest (INVALID_DATA) …
   */
  public static DataConnector fromDataset(
      String root, String name, String version, Map<String, String> sourceOptions, boolean verify) {
    Map<String, String> options = orEmpty(sourceOptions);
    return new DataConnector(openDataset(root, name, version, options, verify), options);
  }

  /** fromDataset with no store options and no checksum check. */
  public static DataConnector fromDataset(String root, String name, String version) {
    return fromDataset(root, name, version, Map.of(), false);
  }

  /** Opens sources (paths, directories, globs, s3:// gs:// az:// http(s):// URIs) with defaults. */
  public static DataConnector fromSources(List<String> sources) {
    return fromSources(sources, Map.of());
  }

  /**
   * Opens sources with source options (format, CSV settings, object store settings; see
   * docs/options.md): lists the files, reads their metadata and checks that they share a schema.
   *
   * @throws SluiceException a missing file (NOT_FOUND), a bad option (INVALID_ARGUMENT), a
   *     corrupt file (INVALID_DATA), files that disagree (SCHEMA_MISMATCH) …
   */
  public static DataConnector fromSources(List<String> sources, Map<String, String> sourceOptions) {
    return new DataConnector(sources, sourceOptions);
  }

  /**
   * Runs {@code query} on a database through an ADBC driver (docs/sql.md); its result is the
   * source, read like files: a single ordered read streams from the database, anything that
   * needs random access (shuffle, shards, a second read) reads the snapshot written as it
   * streamed ({@code snapshot_dir} and the other snapshot options are source options).
   *
   * <pre>{@code
   * DataConnector connector = DataConnector.fromSql("postgresql",
   *     "postgresql://ann@db:5432/ml", "SELECT * FROM train",
   *     Map.of("partition_on", "id", "partitions", "4", "password", secret), Map.of());
   * }</pre>
   *
   * @param driver a short name (postgresql, sqlite, snowflake, flightsql, duckdb), a driver
   *     library's path or an ADBC driver manifest
   * @param uri the database: a URI, or a file for SQLite and DuckDB
   * @param sqlOptions partition_on, partitions, connect_timeout, driver_search_path,
   *     entrypoint; any other key goes to the driver (username, password, adbc.*)
   * @param sourceOptions source options (docs/options.md), the snapshot's included
   * @throws SluiceException a missing driver, a bad URI or password, an unreachable host, a
   *     syntax error, a bad partition_on column: each names the URI without its password and
   *     the query
   */
  public static DataConnector fromSql(
      String driver,
      String uri,
      String query,
      Map<String, String> sqlOptions,
      Map<String, String> sourceOptions) {
    Map<String, String> options = orEmpty(sourceOptions);
    return new DataConnector(openSql(driver, uri, query, sqlOptions, options), options);
  }

  /** fromSql with default SQL and source options. */
  public static DataConnector fromSql(String driver, String uri, String query) {
    return fromSql(driver, uri, query, Map.of(), Map.of());
  }

  static Map<String, String> orEmpty(Map<String, String> options) {
    return options == null ? Map.of() : options;
  }

  /** The address of a new native connector over a dataset version (fromDataset's, for both classes). */
  static long openDataset(String root, String name, String version, Map<String, String> options, boolean verify) {
    NativeLibrary.ensureLoaded();
    byte[][][] keysValues = NativeStrings.options(options);
    return Native.connectorOpenDataset(
        NativeStrings.utf8(root, "root"),
        NativeStrings.utf8(name, "name"),
        NativeStrings.utf8(version, "version"),
        verify, keysValues[0], keysValues[1]);
  }

  /** The address of a new native connector over a query's result (fromSql's, for both classes). */
  static long openSql(
      String driver, String uri, String query, Map<String, String> sqlOptions, Map<String, String> options) {
    NativeLibrary.ensureLoaded();
    byte[][][] sql = NativeStrings.options(sqlOptions);
    byte[][][] source = NativeStrings.options(options);
    return Native.connectorFromSql(
        NativeStrings.utf8(driver, "driver"),
        NativeStrings.utf8(uri, "uri"),
        NativeStrings.utf8(query, "query"),
        sql[0],
        sql[1],
        source[0],
        source[1]);
  }

  /** The sources opened (empty for a query's connector). */
  public List<String> sources() {
    return sources;
  }

  public Map<String, String> sourceOptions() {
    return sourceOptions;
  }

  /** The Arrow schema of every read without projection. */
  public synchronized Schema schema() {
    if (schema == null) {
      ArrowAccess.check();
      BufferAllocator allocator = DefaultAllocator.get();
      try (ArrowSchema out = ArrowSchema.allocateNew(allocator);
          CDataDictionaryProvider dictionaries = new CDataDictionaryProvider()) {
        handle.use(address -> {
          Native.connectorSchema(address, out.memoryAddress());
          return null;
        });
        schema = Data.importSchema(allocator, out, dictionaries);
      } finally {
        Reference.reachabilityFence(this);
      }
    }
    return schema;
  }

  /** The number of rows of all sources (before shards, limit …), from metadata. */
  public long numRows() {
    try {
      return handle.use(Native::connectorNumRows);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** The number of rows a read with {@code options} emits (after shards, workers, limit), from metadata. */
  public long countRows(ReadOptions options) {
    return countRows(null, options);
  }

  /** countRows with {@code fixed} options set first (a shard's; see DataShard). */
  long countRows(Map<String, String> fixed, ReadOptions options) {
    byte[][][] keysValues = NativeStrings.options(fixed, options == null ? null : options.asMap());
    try {
      return handle.use(address -> Native.connectorCountRows(address, keysValues[0], keysValues[1]));
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** A new reader over every row with default options, allocating from {@code allocator}. */
  public ArrowReader read(BufferAllocator allocator) {
    return read(allocator, new ReadOptions());
  }

  /** A new reader with {@code options}, allocating from a RootAllocator shared by the process. */
  public ArrowReader read(ReadOptions options) {
    return read(DefaultAllocator.get(), options);
  }

  /**
   * A new reader with {@code options}; its batches are allocated from {@code allocator}. The
   * caller closes the reader. Every batch is loaded into the same {@code VectorSchemaRoot}
   * ({@link ArrowReader#getVectorSchemaRoot()}): its vectors hold the current batch until the
   * next {@code loadNextBatch()} or {@code close()}, so keep values past that by copying them
   * (or transferring the vectors to vectors of your own). Errors in the middle of the stream (a
   * file that went bad after opening) are thrown by {@link ArrowReader#loadNextBatch()} as a SluiceException with the
   * core's status and message, and again by every later call.
   *
   * <p>With a batch_size of at most half of 65,536 rows (and no batches_per_chunk of the
   * caller's), the reader asks the core for chunks of whole batches of about 65,536 rows and
   * cuts each into its batches, without copying values: the same batches, with one C Data
   * import per chunk instead of per batch. A chunk's buffers are then held until its last
   * batch is passed, and an error inside a chunk is thrown at the chunk's first batch.
   *
   * @throws SluiceException a bad option (INVALID_ARGUMENT naming it), an unknown column …
   * @throws IllegalStateException the connector is closed, or the JVM lacks
   *     --add-opens=java.base/java.nio=ALL-UNNAMED, which Arrow Java needs
   */
  public ArrowReader read(BufferAllocator allocator, ReadOptions options) {
    return read(allocator, null, options);
  }

  /** read with {@code fixed} options set first (a shard's, which fix themselves; see DataShard). */
  ArrowReader read(BufferAllocator allocator, Map<String, String> fixed, ReadOptions options) {
    return read(allocator, fixed, options, ChunkCutter.CHUNK_ROWS);
  }

  /** read with chunks of about {@code chunkRows} rows when batches are small (ChunkCutter; tests vary it). */
  ArrowReader read(BufferAllocator allocator, Map<String, String> fixed, ReadOptions options, long chunkRows) {
    Objects.requireNonNull(allocator, "sluice: allocator is null");
    ArrowAccess.check();
    // Small batches are read as chunks of whole batches and cut by the reader (ChunkCutter).
    long batchRows = ChunkCutter.batchRows(options, chunkRows);
    if (batchRows > 0) {
      options = ChunkCutter.chunked(options, batchRows, chunkRows);
    }
    byte[][][] keysValues = NativeStrings.options(fixed, options == null ? null : options.asMap());
    try (ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
      handle.use(address -> {
        Native.connectorRead(address, keysValues[0], keysValues[1], stream.memoryAddress());
        return null;
      });
      // Imported at once: the reader moves the C stream into a struct of its own (which it
      // keeps, to read errors back with their status), and closing `stream` frees only that
      // emptied struct. ArrowArrayStream.close() never calls `release`, so a failed import
      // releases the native stream here.
      try {
        return new StreamReader(allocator, stream, batchRows);
      } catch (Throwable t) {
        if (stream.snapshot().release != 0) {
          stream.release();
        }
        throw t;
      }
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Frees the native connector now; readers already open keep working. Idempotent. */
  @Override
  public void close() {
    cleanable.clean();
  }

  public boolean isClosed() {
    return handle.isClosed();
  }

  @Override
  public String toString() {
    String state = isClosed() ? "closed" : sources.isEmpty() ? "a query" : sources.size() + " source(s)";
    return "<sluice." + getClass().getSimpleName() + " " + state + ">";
  }

  /** The RootAllocator behind read(ReadOptions) and schema(); it lives as long as the JVM. */
  static final class DefaultAllocator {
    private static final BufferAllocator ROOT = new RootAllocator();

    static BufferAllocator get() {
      return ROOT;
    }
  }
}
