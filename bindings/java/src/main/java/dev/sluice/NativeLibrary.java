package dev.sluice;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Finds and loads the sluice library and the JNI glue, once per JVM.
 *
 * <p>Order: the system property {@code sluice.library.path} (the path of libsluice.so, or a
 * directory holding it and optionally libsluice_jni.so), otherwise the copies bundled in the jar
 * under {@code native/<os>-<arch>/}, extracted to a temporary directory. The glue opens
 * libsluice itself (dlopen), so an overriding library is the one every call reaches. The ABI
 * version is checked three ways: library, header the glue was built with, and this class.
 */
final class NativeLibrary {
  /** The C ABI version (SLUICE_ABI_VERSION) this binding is written for. */
  static final int ABI_VERSION = 2;

  static final String PROPERTY = "sluice.library.path";

  private static String origin;
  private static Throwable failure;

  private NativeLibrary() {}

  /** Loads everything on the first call; later calls return at once (or repeat the failure). */
  static synchronized void ensureLoaded() {
    if (origin != null) {
      return;
    }
    if (failure != null) {
      throw linkError("sluice: the native library failed to load earlier: " + failure.getMessage(), failure);
    }
    try {
      origin = load();
    } catch (RuntimeException | LinkageError e) {
      failure = e;
      throw e;
    }
  }

  /** Where libsluice was loaded from, in words. */
  static synchronized String origin() {
    ensureLoaded();
    return origin;
  }

  private static String load() {
    String override = System.getProperty(PROPERTY);
    Path extracted = null;
    try {
      Path core;
      Path glue;
      String where;
      if (override != null && !override.isBlank()) {
        Path given = Path.of(override).toAbsolutePath();
        core = Files.isDirectory(given) ? given.resolve(coreFileName()) : given;
        if (!Files.isRegularFile(core)) {
          throw linkError("sluice: " + PROPERTY + "=" + override + ": no " + coreFileName() + " at " + core, null);
        }
        where = core + " (" + PROPERTY + ")";
        Path besideCore = core.resolveSibling(glueFileName());
        if (Files.isRegularFile(besideCore)) {
          glue = besideCore;
        } else {
          extracted = Files.createTempDirectory("sluice-native");
          glue = extract(glueFileName(), extracted);
        }
      } else {
        extracted = Files.createTempDirectory("sluice-native");
        core = extract(coreFileName(), extracted);
        where = "native/" + platform() + "/" + coreFileName() + " bundled in the jar";
        glue = extract(glueFileName(), extracted);
      }
      System.load(glue.toString());
      byte[] refused = Native.init(core.toString().getBytes(StandardCharsets.UTF_8));
      if (refused != null) {
        throw linkError(new String(refused, StandardCharsets.UTF_8), null);
      }
      if (Native.headerAbiVersion() != ABI_VERSION) {
        throw linkError(
            "sluice: the JNI glue was built for ABI " + Native.headerAbiVersion()
                + " but this binding is written for ABI " + ABI_VERSION + "; rebuild the jar",
            null);
      }
      return where;
    } catch (IOException e) {
      throw linkError("sluice: cannot extract the native library: " + e, e);
    } finally {
      // Linux keeps a loaded library mapped after its file is gone: leave no files behind.
      deleteQuietly(extracted);
    }
  }

  private static Path extract(String fileName, Path dir) throws IOException {
    String resource = "/native/" + platform() + "/" + fileName;
    try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw linkError(
            "sluice: this jar has no native library for " + platform() + " (" + resource
                + "); set -D" + PROPERTY + "=/path/to/" + coreFileName(),
            null);
      }
      Path target = dir.resolve(fileName);
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (var files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(file);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      dir.toFile().deleteOnExit();
    }
  }

  /** The jar's folder for this machine: linux-x86_64, linux-aarch64, darwin-aarch64 … */
  static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String osPart = os.startsWith("mac") || os.startsWith("darwin") ? "darwin" : os.startsWith("windows") ? "windows" : os.replaceAll("[^a-z0-9]", "");
    String archPart = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch.equals("arm64") ? "aarch64" : arch;
    return osPart + "-" + archPart;
  }

  private static String coreFileName() {
    return System.mapLibraryName("sluice");
  }

  private static String glueFileName() {
    return System.mapLibraryName("sluice_jni");
  }

  private static UnsatisfiedLinkError linkError(String message, Throwable cause) {
    UnsatisfiedLinkError error = new UnsatisfiedLinkError(message);
    if (cause != null) {
      error.initCause(cause);
    }
    return error;
  }
}
