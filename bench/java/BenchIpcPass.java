// The floor for BenchFullPass: the same batches read by Arrow Java alone, from an Arrow IPC
// file (written by bench/bench_java.py from sluice's batches), with no sluice and no C Data
// import. Each batch is read into the reader's one VectorSchemaRoot and nothing else is done
// with it. Prints the same JSON line per pass as BenchFullPass, and takes -Dbench.preload=true.
//
//   java --add-opens=java.base/java.nio=ALL-UNNAMED [-Dbench.preload=true] -cp CLASSES:CLASSPATH \
//       BenchIpcPass FILE.arrow [PASSES]
import java.io.RandomAccessFile;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;

public class BenchIpcPass {
  public static void main(String[] args) throws Exception {
    String path = args[0];
    int passes = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    if (Boolean.getBoolean("bench.preload")) {
      // What Python's `import pyarrow` does before its clock: load and initialize Arrow Java's
      // classes (Schema's static Jackson mappers take seconds in a fresh JVM).
      Class.forName("org.apache.arrow.vector.types.pojo.Schema");
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (BufferAllocator allocator = new RootAllocator()) {
      for (int pass = 0; pass < passes; pass++) {
        long rows = 0;
        long batches = 0;
        long jit = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        long gc = gcMillis();
        long cpu = os.getProcessCpuTime();
        long mainCpu = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long firstBatch = 0;
        try (RandomAccessFile file = new RandomAccessFile(path, "r");
            ArrowFileReader reader = new ArrowFileReader(file.getChannel(), allocator)) {
          while (reader.loadNextBatch()) {
            rows += reader.getVectorSchemaRoot().getRowCount();
            if (batches++ == 0) {
              firstBatch = System.nanoTime() - start;
            }
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
            "{\"rows\": %d, \"batches\": %d, \"seconds\": %.6f, \"first_batch\": %.6f, \"cpu\": %.6f,"
                + " \"main_cpu\": %.6f, \"jit_ms\": %d, \"gc_ms\": %d}%n",
            rows, batches, seconds, firstBatch / 1e9, (os.getProcessCpuTime() - cpu) / 1e9,
            (threads.getCurrentThreadCpuTime() - mainCpu) / 1e9,
            ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jit, gcMillis() - gc);
      }
    }
  }

  private static long gcMillis() {
    long total = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, gc.getCollectionTime());
    }
    return total;
  }
}
