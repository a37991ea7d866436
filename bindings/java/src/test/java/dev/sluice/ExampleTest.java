package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** examples/java/ColumnSums.java runs and prints the sums pyarrow computes for the same table. */
class ExampleTest {
  @Test
  void columnSumsMatchPyarrow() {
    Path examples = Path.of(TestData.property("sluice.test.examples"));
    String table = TestData.dir().resolve("example-table").toString();
    String expected = TestData.python(examples.resolve("make_table.py").toString(), table, "--rows", "200000", "--print-sums");

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String output = TestData.run(new ProcessBuilder(java, "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), examples.resolve("ColumnSums.java").toString(), table), 120);

    assertTrue(output.startsWith("200000 rows from " + table), output);
    Map<String, String> want = sums(expected);
    Map<String, String> got = sums(output);
    assertEquals(want.keySet(), got.keySet(), output);
    for (String column : want.keySet()) {
      String w = want.get(column);
      String g = got.get(column);
      if (w.matches("-?\\d+")) {
        assertEquals(w, g, "integer column " + column + " sums exactly");
      } else {
        double a = Double.parseDouble(w);
        double b = Double.parseDouble(g);
        assertEquals(a, b, Math.abs(a) * 1e-9, "column " + column); // summation order differs
      }
    }
  }

  private static Map<String, String> sums(String output) {
    Map<String, String> sums = new LinkedHashMap<>();
    for (String line : output.split("\n")) {
      if (line.startsWith("sum(")) {
        sums.put(line.substring(4, line.indexOf(')')), line.substring(line.indexOf(" = ") + 3).trim());
      }
    }
    return sums;
  }
}
