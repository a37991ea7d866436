// One pass over a table in 1,024-row batches into libtorch tensors, for
// bench/bench_cpp.py (which runs it in a fresh process per case).
//
//   bench_torch dict|packed DIR
//
// dict:   sluice::torch::read: {column: tensor} of the 20 numeric columns + label (zero-copy)
// packed: sluice::torch::read_packed: X (1024, 20) float32 assembled by the core, y the label
// Prints one JSON line: rows, seconds (from opening the sources to the last
// batch's tensors), and the label's sum (the driver checks all cases agree).
#include <sluice/torch.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s dict|packed DIR\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  std::vector<std::string> features;
  for (int i = 0; i < 16; ++i) features.push_back((i < 10 ? "f0" : "f") + std::to_string(i));
  for (int i = 0; i < 4; ++i) features.push_back("i" + std::to_string(i));

  auto start = std::chrono::steady_clock::now();
  sluice::Connector connector = sluice::Connector::open({argv[2]});
  sluice::ReadOptions options;
  options.batch_size(1024);
  std::int64_t rows = 0, label_sum = 0;
  if (mode == "dict") {
    std::vector<std::string> columns = features;
    columns.push_back("label");
    for (auto& batch : sluice::torch::read(connector, options.columns(columns))) {
      rows += batch.num_rows;
      label_sum += batch["label"].sum().item<std::int64_t>();
    }
  } else if (mode == "packed") {
    for (auto& [X, y] : sluice::torch::read_packed(connector, features, "label", options)) {
      rows += X.size(0);
      label_sum += y.sum().item<std::int64_t>();
    }
  } else {
    std::fprintf(stderr, "unknown mode '%s' (dict or packed)\n", mode.c_str());
    return 2;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"rows\": %lld, \"seconds\": %.6f, \"label_sum\": %lld}\n", static_cast<long long>(rows), seconds,
              static_cast<long long>(label_sum));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
