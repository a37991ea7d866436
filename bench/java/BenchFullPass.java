// One full pass over a table with the Java binding: every batch imported into Arrow Java,
// nothing else done with it (the same work as `for batch in reader: pass` in Python).
// Prints one JSON line per pass: {"rows": ..., "batches": ..., "seconds": ...}; the first pass
// runs with a cold JIT, later ones show the warmed-up rate. Run by bench/bench_java.py.
//
//   java --add-opens=java.base/java.nio=ALL-UNNAMED -cp CLASSPATH bench/java/BenchFullPass.java DIR BATCH_SIZE [PASSES]
import dev.sluice.DataConnector;
import dev.sluice.ReadOptions;
import dev.sluice.Sluice;
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
    try (BufferAllocator allocator = new RootAllocator()) {
      for (int pass = 0; pass < passes; pass++) {
        long rows = 0;
        long batches = 0;
        long start = System.nanoTime();
        try (DataConnector connector = DataConnector.fromSources(List.of(source));
            ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(batchSize))) {
          while (reader.loadNextBatch()) {
            rows += reader.getVectorSchemaRoot().getRowCount();
            batches++;
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("{\"rows\": %d, \"batches\": %d, \"seconds\": %.6f}%n", rows, batches, seconds);
      }
    }
  }
}
