// Reads a Parquet table with sluice and prints the sum of every numeric column.
//
//   examples/java/run.sh [DIR]        builds the binding, writes a sample table, runs this
//
// or, with the jar and Arrow Java on the class path (Java 17 runs a source file directly):
//
//   java --add-opens=java.base/java.nio=ALL-UNNAMED -cp "$CLASSPATH" examples/java/ColumnSums.java DIR
import dev.sluice.DataConnector;
import dev.sluice.ReadOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FloatingPointVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;

public class ColumnSums {
  public static void main(String[] args) throws Exception {
    String source = args.length > 0 ? args[0] : "data/java-example";
    Map<String, Number> sums = new LinkedHashMap<>(); // long for integer columns, double for floats
    long rows = 0;
    long start = System.nanoTime();
    try (BufferAllocator allocator = new RootAllocator();
        DataConnector connector = DataConnector.fromSources(List.of(source));
        ArrowReader reader = connector.read(allocator, new ReadOptions().batchSize(65_536))) {
      while (reader.loadNextBatch()) {
        VectorSchemaRoot batch = reader.getVectorSchemaRoot();
        rows += batch.getRowCount();
        for (FieldVector column : batch.getFieldVectors()) {
          if (column instanceof BaseIntVector ints) {
            long sum = 0;
            for (int i = 0; i < batch.getRowCount(); i++) {
              sum += ints.isNull(i) ? 0 : ints.getValueAsLong(i); // nulls add nothing, as in pyarrow
            }
            sums.merge(column.getName(), sum, (a, b) -> a.longValue() + b.longValue());
          } else if (column instanceof FloatingPointVector floats) {
            double sum = 0;
            for (int i = 0; i < batch.getRowCount(); i++) {
              sum += floats.isNull(i) ? 0 : floats.getValueAsDouble(i);
            }
            sums.merge(column.getName(), sum, (a, b) -> a.doubleValue() + b.doubleValue());
          }
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("%d rows from %s in %.2f s%n", rows, source, seconds);
    sums.forEach((name, sum) -> System.out.println("sum(" + name + ") = "
        + (sum instanceof Long ? sum.toString() : String.format("%.9e", sum.doubleValue()))));
  }
}
