package dev.sluice;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Read options (docs/options.md): which rows, in which order, in which batches.
 *
 * <p>Options are key/value strings, exactly as the C API takes them; the typed setters only
 * spell the value. The core validates every option when a read starts, so an unknown key or a
 * bad value is a {@link SluiceException} (INVALID_ARGUMENT) naming the option. Setters return
 * {@code this}:
 *
 * <pre>{@code new ReadOptions().batchSize(1024).columns("x1", "label").shuffle(true).seed(7)}</pre>
 */
public final class ReadOptions {
  private final LinkedHashMap<String, String> options = new LinkedHashMap<>();

  public ReadOptions() {}

  /** A copy of {@code other}. */
  public ReadOptions(ReadOptions other) {
    options.putAll(other.options);
  }

  /** Sets any option by name (for options without a setter here); a null value removes it. */
  public ReadOptions set(String key, String value) {
    if (key == null) {
      throw new NullPointerException("sluice: an option name is null");
    }
    if (value == null) {
      options.remove(key);
    } else {
      options.put(key, value);
    }
    return this;
  }

  /** The options set so far, in the order they were first set. */
  public Map<String, String> asMap() {
    return Collections.unmodifiableMap(options);
  }

  public ReadOptions batchSize(long rows) {
    return set("batch_size", Long.toString(rows));
  }

  /** Projection; output columns follow this order. */
  public ReadOptions columns(String... names) {
    return columns(List.of(names));
  }

  public ReadOptions columns(List<String> names) {
    return set("columns", jsonArray(names));
  }

  /** Packed mode: these columns become one fixed_size_list&lt;float32&gt; column "features". */
  public ReadOptions features(String... names) {
    return set("features", jsonArray(List.of(names)));
  }

  public ReadOptions label(String name) {
    return set("label", name);
  }

  public ReadOptions dropLastBatch(boolean drop) {
    return set("drop_last_batch", Boolean.toString(drop));
  }

  public ReadOptions limit(long rows) {
    return set("limit", Long.toString(rows));
  }

  public ReadOptions shuffle(boolean shuffle) {
    return set("shuffle", Boolean.toString(shuffle));
  }

  public ReadOptions seed(long seed) {
    return set("seed", Long.toUnsignedString(seed));
  }

  public ReadOptions epoch(long epoch) {
    return set("epoch", Long.toString(epoch));
  }

  public ReadOptions shuffleWindow(long rows) {
    return set("shuffle_window", Long.toString(rows));
  }

  public ReadOptions numShards(long shards) {
    return set("num_shards", Long.toString(shards));
  }

  public ReadOptions shardIndex(long index) {
    return set("shard_index", Long.toString(index));
  }

  /** "off", "drop" or "pad". */
  public ReadOptions equalShards(String mode) {
    return set("equal_shards", mode);
  }

  public ReadOptions numWorkers(long workers) {
    return set("num_workers", Long.toString(workers));
  }

  public ReadOptions workerIndex(long index) {
    return set("worker_index", Long.toString(index));
  }

  /**
   * Continues from a reader's position ({@link Sluice#position}): the read gives exactly the
   * batches that reader would have given next. The other options must be the ones it had.
   */
  public ReadOptions resumeFrom(String token) {
    return set("resume_from", token);
  }

  /** Bytes, or a size such as "512MiB". */
  public ReadOptions memoryBudget(String size) {
    return set("memory_budget", size);
  }

  /** Fragments read concurrently (0: twice the cores); not a thread count (docs/options.md). */
  public ReadOptions fragmentsInFlight(long fragments) {
    return set("fragments_in_flight", Long.toString(fragments));
  }

  /**
   * The former name of {@link #fragmentsInFlight}.
   *
   * @deprecated it counts fragments read at once, not threads: use {@link #fragmentsInFlight}.
   */
  @Deprecated
  public ReadOptions threads(long threads) {
    return fragmentsInFlight(threads);
  }

  @Override
  public String toString() {
    return "ReadOptions" + options;
  }

  /** Names as a JSON array, so a name holding a comma stays one name. */
  private static String jsonArray(List<String> names) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      if (name == null) {
        throw new NullPointerException("sluice: column name " + i + " is null");
      }
      out.append(i == 0 ? "\"" : ",\"");
      for (char c : name.toCharArray()) {
        if (c == '"' || c == '\\') {
          out.append('\\').append(c);
        } else if (c < 0x20) {
          out.append(String.format("\\u%04x", (int) c));
        } else {
          out.append(c);
        }
      }
      out.append('"');
    }
    return out.append(']').toString();
  }
}
