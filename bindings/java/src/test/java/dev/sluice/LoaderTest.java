package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loader: the copy bundled in the jar, the sluice.library.path override, the ABI check. */
class LoaderTest {
  @Test
  void bundledLibraryLoadsWithTheExpectedAbi() {
    assertEquals(Sluice.ABI_VERSION, Sluice.abiVersion());
    assertTrue(Sluice.version().matches("\\d+\\.\\d+\\.\\d+.*"), Sluice.version());
    assertTrue(Sluice.libraryOrigin().contains("bundled in the jar"), Sluice.libraryOrigin());
  }

  @Test
  void systemPropertyOverridesTheBundledLibrary() {
    String library = TestData.property("sluice.test.library");
    String out = runJvm("-D" + Sluice.LIBRARY_PATH_PROPERTY + "=" + library);
    assertTrue(out.contains("origin=" + Path.of(library).toAbsolutePath() + " (sluice.library.path)"), out);
    assertTrue(out.contains("abi=" + Sluice.ABI_VERSION), out);
    // a directory holding libsluice.so works too
    String dirOut = runJvm("-D" + Sluice.LIBRARY_PATH_PROPERTY + "=" + Path.of(library).getParent());
    assertTrue(dirOut.contains("abi=" + Sluice.ABI_VERSION), dirOut);
  }

  @Test
  void missingOverrideIsAClearLinkError(@TempDir Path dir) {
    String out = runJvm("-D" + Sluice.LIBRARY_PATH_PROPERTY + "=" + dir.resolve("nothing.so"));
    assertTrue(out.contains("error=sluice: sluice.library.path=") && out.contains("nothing.so"), out);
    assertTrue(out.contains("again=sluice: the native library failed to load earlier"), out);
  }

  @Test
  void libraryOfAnotherAbiIsRefused(@TempDir Path dir) throws IOException {
    Path fake = fakeLibrary(dir, 999, true);
    String out = runJvm("-D" + Sluice.LIBRARY_PATH_PROPERTY + "=" + fake);
    assertTrue(out.contains("error=sluice: " + fake + " has ABI version 999, this binding needs " + Sluice.ABI_VERSION),
        out);
  }

  @Test
  void libraryMissingAFunctionIsRefused(@TempDir Path dir) throws IOException {
    Path fake = fakeLibrary(dir, Sluice.ABI_VERSION, false);
    String out = runJvm("-D" + Sluice.LIBRARY_PATH_PROPERTY + "=" + fake);
    assertTrue(out.contains("has no function sluice_read_options_set"), out);
  }

  @Test
  void notALibraryIsRefused(@TempDir Path dir) throws IOException {
    Path text = Files.writeString(dir.resolve("libsluice.so"), "not an ELF file");
    String out = runJvm("-D" + Sluice.LIBRARY_PATH_PROPERTY + "=" + text);
    assertTrue(out.contains("error=sluice: cannot load " + text), out);
  }

  /** A stand-in libsluice exporting every function (or all but one) and the given ABI version. */
  private static Path fakeLibrary(Path dir, int abi, boolean complete) throws IOException {
    StringBuilder source = new StringBuilder("unsigned sluice_abi_version(void) { return " + abi + "; }\n");
    for (String name : List.of("sluice_version", "sluice_connector_open", "sluice_connector_from_sql",
        "sluice_connector_open_dataset",
        "sluice_connector_free",
        "sluice_connector_schema", "sluice_connector_num_rows", "sluice_connector_count_rows",
        "sluice_connector_read", "sluice_stream_last_error", "sluice_stream_position", "sluice_string_free",
        "sluice_error_status", "sluice_error_message", "sluice_error_free",
        "sluice_source_options_new", "sluice_source_options_free", "sluice_source_options_set",
        "sluice_read_options_new", "sluice_read_options_free")) {
      source.append("void ").append(name).append("(void) {}\n");
    }
    if (complete) {
      source.append("void sluice_read_options_set(void) {}\n");
    }
    Path c = Files.writeString(dir.resolve("fake.c"), source);
    Path library = dir.resolve("libsluice.so");
    TestData.run(new ProcessBuilder("cc", "-shared", "-fPIC", "-o", library.toString(), c.toString()), 60);
    return library;
  }

  /** Runs PrintLibrary in a fresh JVM (the library loads once per JVM) with {@code property}. */
  private static String runJvm(String property) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(java, property, "-cp", System.getProperty("java.class.path"),
        PrintLibrary.class.getName());
    return TestData.run(builder, 60);
  }
}
