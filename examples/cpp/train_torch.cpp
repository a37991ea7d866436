// Trains a small classifier with libtorch on batches that sluice reads from Parquet.
//
//   train_torch DIR [EPOCHS]
//
// Each epoch reads the table shuffled (a new order per epoch, the same order on
// every run), in packed mode: X is one (batch, 4) float32 tensor assembled by the
// core, y the label. Under torchrun-style launchers each process reads only its
// shard: RANK and WORLD_SIZE, when set, become shard_index and num_shards (with
// equal_shards=drop, so every rank runs the same number of steps).
// Exits non-zero if the final training accuracy is below 80%.
#include <sluice/torch.hpp>

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::stoull(value) : fallback;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [EPOCHS]\n", argv[0]);
    return 2;
  }
  const int epochs = argc > 2 ? std::stoi(argv[2]) : 5;
  const std::uint64_t rank = env_or("RANK", 0), world_size = env_or("WORLD_SIZE", 1);

  torch::manual_seed(0);
  torch::nn::Sequential model(torch::nn::Linear(4, 32), torch::nn::ReLU(), torch::nn::Linear(32, 3));
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.01));

  sluice::Connector connector = sluice::Connector::open({argv[1]});
  double accuracy = 0;  // y comes as (batch,) int64: what cross_entropy takes
  for (int epoch = 0; epoch < epochs; ++epoch) {
    sluice::ReadOptions options;
    options.batch_size(256).shuffle(true).seed(42).epoch(static_cast<std::uint64_t>(epoch));
    if (world_size > 1) options.num_shards(world_size).shard_index(rank).equal_shards("drop");

    double loss_sum = 0;
    std::int64_t rows = 0, correct = 0;
    for (auto& [X, y] : sluice::torch::read_packed(connector, {"f0", "f1", "f2", "f3"}, "label", options)) {
      torch::Tensor logits = model->forward(X);
      torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>() * static_cast<double>(y.size(0));
      correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
      rows += y.size(0);
    }
    accuracy = static_cast<double>(correct) / static_cast<double>(rows);
    std::printf("rank %llu/%llu epoch %d: %lld rows, loss %.4f, accuracy %.3f\n", static_cast<unsigned long long>(rank),
                static_cast<unsigned long long>(world_size), epoch, static_cast<long long>(rows),
                loss_sum / static_cast<double>(rows), accuracy);
  }
  return accuracy >= 0.8 ? 0 : 1;
} catch (const sluice::Error& e) {
  std::fprintf(stderr, "sluice error (status %d): %s\n", static_cast<int>(e.status()), e.what());
  return 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
