package dev.sluice;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Java strings to the UTF-8 bytes the C API takes (JNI's own strings are modified UTF-8). */
final class NativeStrings {
  private NativeStrings() {}

  static byte[] utf8(String text, String what) {
    if (text == null) {
      throw new NullPointerException("sluice: " + what + " is null");
    }
    if (text.indexOf('\0') >= 0) {
      // The C API would cut the string there; the value is not echoed (it may be a secret).
      throw new IllegalArgumentException("sluice: " + what + " contains a NUL character");
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static byte[][] sources(List<String> sources) {
    if (sources == null) {
      throw new NullPointerException("sluice: the list of sources is null");
    }
    byte[][] out = new byte[sources.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = utf8(sources.get(i), "source " + i);
    }
    return out;
  }

  /**
   * keys and values of each map in {@code layers} (null ones skipped), one map after the other, in
   * their iteration order: [0] keys, [1] values. The core sets them in this order.
   */
  @SafeVarargs
  static byte[][][] options(Map<String, String>... layers) {
    int size = 0;
    for (Map<String, String> layer : layers) {
      size += layer == null ? 0 : layer.size();
    }
    byte[][] keys = new byte[size][];
    byte[][] values = new byte[size][];
    int i = 0;
    for (Map<String, String> layer : layers) {
      if (layer == null) {
        continue;
      }
      for (Map.Entry<String, String> entry : layer.entrySet()) {
        keys[i] = utf8(entry.getKey(), "an option name");
        values[i] = utf8(entry.getValue(), "the value of option " + entry.getKey());
        i++;
      }
    }
    return new byte[][][] {keys, values};
  }
}
