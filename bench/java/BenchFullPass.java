// One full pass over a table with the Java binding: every batch imported into Arrow Java,
// nothing else done with it (the same work as `for batch in reader: pass` in Python).
// Prints one JSON line per pass: {"rows", "batches", "seconds", "first_batch", "cpu",
// "main_cpu", "jit_ms", "gc_ms", "jit_cpu", "gc_cpu"}. first_batch is the time until the first batch is in
// (opening the connector and, in a fresh JVM, loading Arrow Java's classes); cpu the whole
// process's CPU time in the pass (the core's decoding threads, the JIT compilers and GC
// included); main_cpu the CPU time of the thread that imports the batches; jit_ms and gc_ms
// what the JVM reports spending on compiling and collecting (time, not CPU); jit_cpu and gc_cpu
// the CPU time of the JIT compiler threads and of the GC threads in the pass (Linux, from
// /proc/self/task; a compiler thread that the JVM stops in the pass is missed). The first pass runs with a cold
// JIT, later ones show the warmed-up rate. Run by bench/bench_java.py, which compiles this
// file first (java's source-file mode would run javac inside the timed JVM). With
// -Dbench.preload=true, Arrow Java's classes are loaded before the clock, as Python's are.
//
//   java --add-opens=java.base/java.nio=ALL-UNNAMED [-Dbench.preload=true] -cp CLASSES:CLASSPATH \
//       BenchFullPass DIR BATCH_SIZE [PASSES]
import dev.sluice.DataConnector;
import dev.sluice.ReadOptions;
import dev.sluice.Sluice;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

public class BenchFullPass {
  public static void main(String[] args) throws Exception {
    String source = args[0];
    long batchSize = Long.parseLong(args[1]);
    Sluice.version(); // load the library before the clock starts, as Python's import does
    int passes = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    if (Boolean.getBoolean("bench.preload")) {
      // What Python's `import pyarrow` does before its clock: load and initialize Arrow Java's
      // classes (Schema's static Jackson mappers take seconds in a fresh JVM) and its C Data JNI library.
      Class.forName("org.apache.arrow.vector.types.pojo.Schema");
      org.apache.arrow.c.jni.JniLoader.get().ensureLoaded();
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (BufferAllocator allocator = new RootAllocator()) {
      for (int pass = 0; pass < passes; pass++) {
        long rows = 0;
        long batches = 0;
        long jit = jitMillis();
        double[] jvmCpu = jvmThreadsCpu();
        long gc = gcMillis();
        long cpu = os.getProcessCpuTime();
        long mainCpu = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long firstBatch = 0;
        try (DataConnector connector = DataConnector.fromSources(List.of(source));
            ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(batchSize))) {
          while (reader.loadNextBatch()) {
            rows += reader.getVectorSchemaRoot().getRowCount();
            if (batches++ == 0) {
              firstBatch = System.nanoTime() - start;
            }
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double[] jvmCpuAfter = jvmThreadsCpu();
        System.out.printf(
            "{\"rows\": %d, \"batches\": %d, \"seconds\": %.6f, \"first_batch\": %.6f, \"cpu\": %.6f,"
                + " \"main_cpu\": %.6f, \"jit_ms\": %d, \"gc_ms\": %d, \"jit_cpu\": %.2f, \"gc_cpu\": %.2f}%n",
            rows, batches, seconds, firstBatch / 1e9, (os.getProcessCpuTime() - cpu) / 1e9,
            (threads.getCurrentThreadCpuTime() - mainCpu) / 1e9, jitMillis() - jit, gcMillis() - gc,
            jvmCpuAfter[0] - jvmCpu[0], jvmCpuAfter[1] - jvmCpu[1]);
      }
    }
  }

  /** CPU seconds so far of the JIT compiler threads and of the GC threads (0 where /proc is missing). */
  private static double[] jvmThreadsCpu() throws IOException {
    double[] cpu = new double[2];
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return cpu;
    }
    try (DirectoryStream<Path> all = Files.newDirectoryStream(tasks)) {
      for (Path task : all) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException gone) {
          continue; // a thread that ended meanwhile
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        double seconds = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0; // utime + stime
        if (name.contains("CompilerThre")) {
          cpu[0] += seconds;
        } else if (name.startsWith("GC Thread") || name.startsWith("G1 ")) {
          cpu[1] += seconds;
        }
      }
    }
    return cpu;
  }

  private static long jitMillis() {
    return ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
  }

  private static long gcMillis() {
    long total = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, gc.getCollectionTime());
    }
    return total;
  }
}
