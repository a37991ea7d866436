package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A JVM without --add-opens=java.base/java.nio=ALL-UNNAMED: the first read and the schema fail
 * with an IllegalStateException naming the flag (not Arrow's UnsupportedOperationException),
 * and SLF4J prints no "no providers" warning (slf4j-nop is on the classpath).
 */
class AddOpensTest {
  @Test
  void readWithoutTheFlagNamesIt() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        WithoutAddOpens.class.getName(), TestData.path("values.parquet"));
    builder.redirectErrorStream(true);
    String output = TestData.run(builder, 60);

    String expected = IllegalStateException.class.getName() + ": sluice: Arrow Java cannot access java.nio's"
        + " direct buffers: start the JVM with " + ArrowAccess.FLAG;
    assertTrue(output.contains("read: " + expected), output);
    assertTrue(output.contains("schema: " + expected), output);
    assertFalse(output.contains("SLF4J"), output);
  }
}
