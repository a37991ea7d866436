// Tests of sluice/tensorflow.hpp against the TensorFlow C++ library of the
// tensorflow-cpu wheel. tensorflow.hpp is this file's first include: it
// compiles on its own. Not under ASan (the wheel is not built for it).
#include <sluice/tensorflow.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "test_util.hpp"

using sluice_test::data;

namespace {

TEST(SluiceTensorFlow, ColumnsBecomeNamedTensors) {
  auto connector = sluice::Connector::open({data("table")});
  std::int64_t row = 0;
  for (sluice::tensorflow::TensorBatch& batch :
       sluice::tensorflow::read(connector, sluice::ReadOptions().batch_size(128))) {
    const std::int64_t n = batch.num_rows;
    const tensorflow::Tensor& id = batch["id"];
    ASSERT_EQ(id.dtype(), tensorflow::DT_INT64);
    ASSERT_EQ(id.shape(), tensorflow::TensorShape({n, 1}));
    ASSERT_EQ(batch["x"].dtype(), tensorflow::DT_FLOAT);
    ASSERT_EQ(batch["d"].dtype(), tensorflow::DT_DOUBLE);
    ASSERT_EQ(batch["i8"].dtype(), tensorflow::DT_INT8);
    ASSERT_EQ(batch["u16"].dtype(), tensorflow::DT_UINT16);
    ASSERT_EQ(batch["flag"].dtype(), tensorflow::DT_BOOL);
    ASSERT_EQ(batch["emb"].shape(), tensorflow::TensorShape({n, 3}));
    ASSERT_EQ(batch["cat"].dtype(), tensorflow::DT_STRING);  // decoded: dictionary=codes gives DT_INT32
    ASSERT_EQ(batch["cat"].flat<tensorflow::tstring>()(0), std::string(1, "abc"[row % 3]));
    ASSERT_EQ(batch["name"].dtype(), tensorflow::DT_STRING);
    auto ids = id.flat<std::int64_t>();
    auto x = batch["x"].flat<float>();
    auto d = batch["d"].flat<double>();
    auto i8 = batch["i8"].flat<std::int8_t>();
    auto u16 = batch["u16"].flat<std::uint16_t>();
    auto flag = batch["flag"].flat<bool>();
    auto emb = batch["emb"].matrix<float>();
    auto name = batch["name"].flat<tensorflow::tstring>();
    for (std::int64_t i = 0; i < n; ++i, ++row) {
      ASSERT_EQ(ids(i), row);
      ASSERT_EQ(x(i), static_cast<float>(row) / 2);
      ASSERT_EQ(d(i), static_cast<double>(row) * 0.25);
      ASSERT_EQ(i8(i), row % 100 - 50);
      ASSERT_EQ(u16(i), (row * 3) % 65536);
      ASSERT_EQ(flag(i), row % 3 == 0);
      ASSERT_EQ(emb(i, 0), static_cast<float>(row));
      ASSERT_EQ(emb(i, 1), static_cast<float>(row) + 0.5f);
      ASSERT_EQ(emb(i, 2), -static_cast<float>(row));
      ASSERT_EQ(std::string(name(i)), "n" + std::to_string(row));
    }
  }
  EXPECT_EQ(row, 1000);
}

TEST(SluiceTensorFlow, TensorsOutliveTheReaderAndSqueezeGivesOneDimension) {
  tensorflow::Tensor id;
  {
    sluice::tensorflow::Options squeeze;
    squeeze.squeeze = true;
    auto reader = sluice::tensorflow::read(sluice::Connector::open({data("table")}),
                                           sluice::ReadOptions().batch_size(64).columns({"id"}), squeeze);
    reader.next();
    auto batch = reader.next();
    ASSERT_TRUE(batch);
    id = (*batch)["id"];
  }
  ASSERT_EQ(id.shape(), tensorflow::TensorShape({64}));
  for (std::int64_t i = 0; i < 64; ++i) ASSERT_EQ(id.flat<std::int64_t>()(i), 64 + i);
}

TEST(SluiceTensorFlow, NullsAreAnErrorNamingTheColumn) {
  try {
    for (auto& batch :
         sluice::tensorflow::read(sluice::Connector::open({data("nulls.parquet")}), sluice::ReadOptions()))
      (void)batch;
    FAIL() << "no error";
  } catch (const sluice::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'v'"), std::string::npos) << e.what();
  }
}

TEST(SluiceTensorFlow, RaggedGivesValuesAndRowSplits) {
  auto reader = sluice::tensorflow::read(sluice::Connector::open({data("ragged.parquet")}),
                                         sluice::ReadOptions().ragged("values_offsets").batch_size(10));
  reader.next();
  auto batch = reader.next();
  ASSERT_TRUE(batch);
  const auto& tags = batch->ragged.at("tags");
  auto splits = tags.row_splits.flat<std::int64_t>();
  std::int64_t at = 0;
  for (std::int64_t r = 10; r < 20; ++r) {
    ASSERT_EQ(splits(r - 10), at);
    at += r % 4;
  }
  ASSERT_EQ(splits(10), at);
  ASSERT_EQ(tags.values.NumElements(), at);
}

}  // namespace
