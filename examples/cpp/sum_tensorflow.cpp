// Reads batches from sluice into tensorflow::Tensor s and sums one column.
//
//   sum_tensorflow DIR COLUMN
//
// Prints "sum(COLUMN) = S over N rows". The column may be any integer or
// floating-point column; it is read alone (columns=[COLUMN]) in tensor mode.
#include <sluice/tensorflow.hpp>

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) try {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR COLUMN\n", argv[0]);
    return 2;
  }
  const std::string column = argv[2];
  sluice::Connector connector = sluice::Connector::open({argv[1]});

  double sum = 0;
  long long rows = 0;
  sluice::ReadOptions options;
  options.columns({column}).batch_size(4096);
  for (sluice::tensorflow::TensorBatch& batch : sluice::tensorflow::read(connector, options)) {
    const tensorflow::Tensor& values = batch[column];
    auto add = [&](auto zero) {
      auto flat = values.flat<decltype(zero)>();
      for (Eigen::Index i = 0; i < flat.size(); ++i) sum += static_cast<double>(flat(i));
    };
    switch (values.dtype()) {
      case tensorflow::DT_INT64: add(std::int64_t{}); break;
      case tensorflow::DT_INT32: add(std::int32_t{}); break;
      case tensorflow::DT_FLOAT: add(float{}); break;
      case tensorflow::DT_DOUBLE: add(double{}); break;
      default:
        std::fprintf(stderr, "column '%s' has dtype %s, not a number this example sums\n", column.c_str(),
                     tensorflow::DataTypeString(values.dtype()).c_str());
        return 1;
    }
    rows += batch.num_rows;
  }
  std::printf("sum(%s) = %.17g over %lld rows\n", column.c_str(), sum, rows);
  return 0;
} catch (const sluice::Error& e) {
  std::fprintf(stderr, "sluice error (status %d): %s\n", static_cast<int>(e.status()), e.what());
  return 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
