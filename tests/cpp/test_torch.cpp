// Tests of sluice/torch.hpp against the libtorch of the PyPI torch wheel.
// torch.hpp is this file's first include: it compiles on its own.
// Not under ASan: the wheel's libraries are not built for it (sluice.hpp's own
// tests, which cover the ownership code these tensors rely on, are).
#include <sluice/torch.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.hpp"

using sluice_test::data;

namespace {

sluice::Connector table() { return sluice::Connector::open({data("table")}); }

template <typename F>
std::string error_message(F&& body) {
  try {
    body();
  } catch (const sluice::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no sluice::Error was thrown";
  return "";
}

TEST(SluiceTorch, DictionaryCodesOnRequest) {
  // codes mean something only with their batch's dictionary: check the type and range
  for (sluice::torch::TensorBatch& batch :
       sluice::torch::read(table(), sluice::ReadOptions().batch_size(128).dictionary("codes"))) {
    ASSERT_EQ(batch["cat"].scalar_type(), at::kInt);
    ASSERT_EQ(batch["cat"].sizes(), (std::vector<std::int64_t>{batch.num_rows, 1}));
    ASSERT_TRUE((batch["cat"] >= 0).all().item<bool>() && (batch["cat"] < 3).all().item<bool>());
  }
}

TEST(SluiceTorch, ColumnsBecomeTensorsWithThePythonShapesAndDtypes) {
  std::int64_t row = 0;
  for (sluice::torch::TensorBatch& batch : sluice::torch::read(table(), sluice::ReadOptions().batch_size(128))) {
    const std::int64_t n = batch.num_rows;
    EXPECT_EQ(batch.names, (std::vector<std::string>{"id", "x", "d", "i8", "u16", "flag", "emb", "cat", "name"}));
    at::Tensor expected_id = at::arange(row, row + n, at::kLong).reshape({n, 1});
    ASSERT_TRUE(batch["id"].equal(expected_id));
    ASSERT_EQ(batch["x"].scalar_type(), at::kFloat);
    ASSERT_TRUE(batch["x"].equal(expected_id.to(at::kFloat) / 2));
    ASSERT_EQ(batch["d"].scalar_type(), at::kDouble);
    ASSERT_TRUE(batch["d"].equal(expected_id.to(at::kDouble) * 0.25));
    ASSERT_EQ(batch["i8"].scalar_type(), at::kChar);
    ASSERT_TRUE(batch["i8"].to(at::kLong).equal(expected_id.remainder(100) - 50));
    ASSERT_EQ(batch["u16"].scalar_type(), at::kUInt16);
    ASSERT_EQ(batch["u16"].sizes(), (std::vector<std::int64_t>{n, 1}));
    ASSERT_EQ(batch["flag"].scalar_type(), at::kBool);
    ASSERT_TRUE(batch["flag"].equal(expected_id.remainder(3) == 0));
    // fixed_size_list<float32>[3] -> (batch, 3)
    at::Tensor f = expected_id.to(at::kFloat);
    ASSERT_TRUE(batch["emb"].equal(at::cat({f, f + 0.5, -f}, 1)));
    // a dictionary column is decoded by default: strings, which come separately
    ASSERT_EQ(batch.tensors.count("cat"), 0u);
    ASSERT_EQ(batch.strings.at("cat")[0], std::string(1, "abc"[row % 3]));
    // strings are not tensors: they come separately
    ASSERT_EQ(batch.tensors.count("name"), 0u);
    ASSERT_EQ(batch.strings.at("name").size(), static_cast<std::size_t>(n));
    ASSERT_EQ(batch.strings.at("name")[0], "n" + std::to_string(row));
    row += n;
  }
  EXPECT_EQ(row, 1000);
}

TEST(SluiceTorch, FixedWidthColumnsAreNotCopiedAndOutliveTheReader) {
  at::Tensor id, emb;
  const void* arrow_id = nullptr;
  {
    auto reader = table().read(sluice::ReadOptions().tensors(true).batch_size(100));
    auto batch = reader.next();
    batch = reader.next();  // the second batch: offsets into the files' buffers
    ASSERT_TRUE(batch);
    arrow_id = batch->column("id").values<std::int64_t>();
    auto tensors = sluice::torch::to_tensors(*batch);
    id = tensors["id"];
    emb = tensors["emb"];
    // the batch + one share per zero-copy tensor: id x d i8 u16 emb (flag is unpacked; name and
    // cat, a dictionary decoded by the core, are strings, copied)
    EXPECT_EQ(batch->array().use_count(), 1 + 6);
  }  // reader, batch and the other tensors are gone; the ArrowArray lives on in id and emb
  EXPECT_EQ(id.data_ptr(), arrow_id);
  EXPECT_TRUE(id.equal(at::arange(100, 200, at::kLong).reshape({100, 1})));
  EXPECT_EQ(emb.index({99, 2}).item<float>(), -199.0f);
}

TEST(SluiceTorch, SqueezeGivesOneDimension) {
  sluice::torch::Options squeeze;
  squeeze.squeeze = true;
  auto reader = sluice::torch::read(table(), sluice::ReadOptions().batch_size(10).columns({"id", "emb"}), squeeze);
  auto batch = reader.next();
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->tensors.at("id").sizes(), (std::vector<std::int64_t>{10}));
  EXPECT_EQ(batch->tensors.at("emb").sizes(), (std::vector<std::int64_t>{10, 3}));
}

TEST(SluiceTorch, StringsCanBeAnErrorNamingTheColumn) {
  sluice::torch::Options strict;
  strict.strings = sluice::torch::Strings::error;
  std::string message = error_message([&] {
    for (auto& batch : sluice::torch::read(table(), sluice::ReadOptions().columns({"id", "name"}), strict)) (void)batch;
  });
  EXPECT_NE(message.find("'name'"), std::string::npos) << message;
}

TEST(SluiceTorch, PackedModeGivesXAndY) {
  std::int64_t rows = 0;
  for (auto& [X, y] :
       sluice::torch::read_packed(table(), {"x", "d", "i8"}, "id", sluice::ReadOptions().batch_size(300))) {
    ASSERT_EQ(X.scalar_type(), at::kFloat);
    ASSERT_EQ(X.sizes(), (std::vector<std::int64_t>{y.size(0), 3}));
    ASSERT_EQ(y.dim(), 1);
    at::Tensor id = at::arange(rows, rows + y.size(0), at::kLong);
    ASSERT_TRUE(y.equal(id));
    ASSERT_TRUE(X.equal(
        at::stack({id.to(at::kFloat) / 2, id.to(at::kFloat) * 0.25f, (id.remainder(100) - 50).to(at::kFloat)}, 1)));
    rows += y.size(0);
  }
  EXPECT_EQ(rows, 1000);
  // a bad feature name is the core's error, naming it
  std::string message = error_message([] { sluice::torch::read_packed(table(), {"x", "nope"}, "id"); });
  EXPECT_NE(message.find("nope"), std::string::npos) << message;
}

TEST(SluiceTorch, SameRowsAndOrderAsPython) {
  std::string base_path = data("orders/shard_1_of_3");
  sluice::ReadOptions options = sluice_test::options_file(base_path + ".options");
  std::vector<std::string> got;
  for (auto& batch : sluice::torch::read(table(), options.columns({"id"}))) {
    std::ostringstream line;
    at::Tensor id = batch["id"];
    for (std::int64_t i = 0; i < id.size(0); ++i) line << (i ? " " : "") << id.index({i, 0}).item<std::int64_t>();
    got.push_back(line.str());
  }
  EXPECT_EQ(got, sluice_test::lines(base_path + ".txt"));
}

TEST(SluiceTorch, NullsAreAnErrorNamingTheColumn) {
  std::string message = error_message([] {
    for (auto& batch : sluice::torch::read(sluice::Connector::open({data("nulls.parquet")}), sluice::ReadOptions()))
      (void)batch;
  });
  EXPECT_NE(message.find("'v'"), std::string::npos) << message;
  EXPECT_NE(message.find("25"), std::string::npos) << message;
}

TEST(SluiceTorch, RaggedValuesAndOffsets) {
  auto reader = sluice::torch::read(sluice::Connector::open({data("ragged.parquet")}),
                                    sluice::ReadOptions().ragged("values_offsets").batch_size(10));
  reader.next();
  auto batch = reader.next();  // rows 10..19: a slice whose offsets do not start at 0
  ASSERT_TRUE(batch);
  const sluice::torch::Ragged& tags = batch->ragged.at("tags");
  std::vector<std::int64_t> want_offsets{0}, want_values;
  for (std::int64_t r = 10; r < 20; ++r) {
    for (std::int64_t v = r; v < r + r % 4; ++v) want_values.push_back(v);
    want_offsets.push_back(static_cast<std::int64_t>(want_values.size()));
  }
  EXPECT_TRUE(tags.offsets.to(at::kLong).equal(at::tensor(want_offsets)));
  EXPECT_TRUE(tags.values.to(at::kLong).equal(at::tensor(want_values)));
}

TEST(SluiceTorch, ATrainingStepRunsOnTheBatches) {
  at::Tensor w = at::zeros({3, 1}, at::kFloat).requires_grad_(true);
  for (auto& [X, y] :
       sluice::torch::read_packed(table(), {"x", "d", "i8"}, "d", sluice::ReadOptions().batch_size(256).limit(512))) {
    at::Tensor loss = (at::matmul(X, w) - y.to(at::kFloat)).pow(2).mean();
    loss.backward();
    ASSERT_TRUE(w.grad().defined());
    ASSERT_TRUE(at::isfinite(w.grad()).all().item<bool>());
  }
}

}  // namespace
