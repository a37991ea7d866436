package dev.sluice;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;

/** Drains readers into plain Java values, so tests compare whole columns. */
final class Columns {
  private Columns() {}

  /** Every column of every batch, as {@code getObject} values (null for a null). */
  static Map<String, List<Object>> values(ArrowReader reader) {
    Map<String, List<Object>> columns = new LinkedHashMap<>();
    try {
      while (reader.loadNextBatch()) {
        VectorSchemaRoot root = reader.getVectorSchemaRoot();
        for (FieldVector vector : root.getFieldVectors()) {
          List<Object> values = columns.computeIfAbsent(vector.getName(), name -> new ArrayList<>());
          for (int i = 0; i < root.getRowCount(); i++) {
            values.add(vector.getObject(i));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return columns;
  }

  /** Fails at the first row where the two columns differ (a message short enough to read). */
  static void assertSameValues(List<?> expected, List<?> actual, String column) {
    int common = Math.min(expected.size(), actual.size());
    int mismatches = 0;
    int first = -1;
    for (int i = 0; i < common; i++) {
      if (!java.util.Objects.deepEquals(expected.get(i), actual.get(i))) { // deep: binaries are byte[]
        mismatches++;
        if (first < 0) {
          first = i;
        }
      }
    }
    if (first >= 0) {
      org.junit.jupiter.api.Assertions.fail("column " + column + ": " + mismatches + " of " + common
          + " rows differ; first at row " + first + ": expected " + expected.get(first) + ", got "
          + actual.get(first));
    }
    org.junit.jupiter.api.Assertions.assertEquals(expected.size(), actual.size(), "rows of column " + column);
  }

  /** The batch lengths and the "id" column in order. */
  static Read ids(ArrowReader reader) {
    Read read = new Read();
    try {
      while (reader.loadNextBatch()) {
        VectorSchemaRoot root = reader.getVectorSchemaRoot();
        BigIntVector id = (BigIntVector) root.getVector("id");
        read.batchLengths.add(root.getRowCount());
        for (int i = 0; i < root.getRowCount(); i++) {
          read.ids.add(id.get(i));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return read;
  }

  /** What one read gave: the batch lengths and ids, in order. */
  static final class Read {
    final List<Integer> batchLengths = new ArrayList<>();
    final List<Long> ids = new ArrayList<>();

    /** Parses dump_ids.py's output: a line of batch lengths, then a line of ids. */
    static Read parse(String output) {
      String[] lines = output.split("\n", -1);
      Read read = new Read();
      for (String token : lines[0].trim().split(" ")) {
        if (!token.isEmpty()) {
          read.batchLengths.add(Integer.parseInt(token));
        }
      }
      for (String token : lines[1].trim().split(" ")) {
        if (!token.isEmpty()) {
          read.ids.add(Long.parseLong(token));
        }
      }
      return read;
    }
  }
}
