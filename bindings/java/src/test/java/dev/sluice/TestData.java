package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The tests' data, written once per JVM by src/test/python/make_data.py (pyarrow), and the
 * Python of tools/setup, run as a subprocess. Properties (set by the pom's surefire config):
 * sluice.python, sluice.test.sources (the Python scripts), sluice.test.library (libsluice.so,
 * the copy the jar bundles, given to Python as SLUICE_LIBRARY), sluice.test.pythonpath.
 */
final class TestData {
  private static Path dir;

  private TestData() {}

  /** The directory holding values.parquet, values.arrow, multi/, corrupt.parquet … */
  static synchronized Path dir() {
    if (dir == null) {
      try {
        Path target = Path.of(System.getProperty("user.dir"), "target");
        Files.createDirectories(target);
        Path made = Files.createTempDirectory(target, "test-data-");
        python(script("make_data.py"), made.toString());
        dir = made;
      } catch (IOException e) {
        throw new AssertionError("cannot create the test data directory", e);
      }
    }
    return dir;
  }

  static String path(String name) {
    return dir().resolve(name).toString();
  }

  static String script(String name) {
    return Path.of(property("sluice.test.sources")).resolve(name).toString();
  }

  /** Runs the project's Python with {@code args}; returns its stdout, fails the test on error. */
  static String python(String... args) {
    List<String> command = new ArrayList<>();
    command.add(property("sluice.python"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("SLUICE_LIBRARY", property("sluice.test.library"));
    builder.environment().put("PYTHONPATH", property("sluice.test.pythonpath"));
    return run(builder, 120);
  }

  /** Runs a process; returns its stdout; fails with its stderr when it exits non-zero. */
  static String run(ProcessBuilder builder, int timeoutSeconds) {
    try {
      Path err = Files.createTempFile("sluice-test", ".err");
      try {
        builder.redirectError(err.toFile());
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          fail("timed out: " + builder.command());
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), () -> builder.command() + " failed:\n" + stderr);
        return new String(out, StandardCharsets.UTF_8);
      } finally {
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + builder.command(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static String property(String name) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(
          "system property " + name + " is not set: run the tests through mvn test (tools/test-java)");
    }
    return value;
  }
}
