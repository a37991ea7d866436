// Tests of sluice.hpp (the RAII layer over the C ABI), run under
// AddressSanitizer + UBSan + LeakSanitizer. Data: make_data.py (ctest fixture).
#include <sluice/sluice.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.hpp"

using sluice_test::data;

namespace sluice_test {
sluice::Reader open_in_second_tu(const std::string& path, std::uint64_t batch_size);  // second_tu.cpp
}

namespace {

/// The ids of every batch, one "id id id" string per batch (the format of orders/*.txt).
std::vector<std::string> id_lines(sluice::Reader reader) {
  std::vector<std::string> out;
  for (const sluice::Batch& batch : reader) {
    const std::int64_t* ids = batch.column("id").values<std::int64_t>();
    std::ostringstream line;
    for (std::int64_t i = 0; i < batch.num_rows(); ++i) line << (i ? " " : "") << ids[i];
    out.push_back(line.str());
  }
  return out;
}

/// Runs `body` and returns the sluice::Error it throws (fails the test if none).
template <typename F>
sluice::Error error_of(F&& body) {
  try {
    body();
  } catch (const sluice::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no sluice::Error was thrown";
  return sluice::Error(SLUICE_OK, "");
}

TEST(SluiceHpp, VersionAndAbiMatchTheHeader) {
  EXPECT_NO_THROW(sluice::check_abi());
  EXPECT_EQ(sluice::version(), SLUICE_VERSION);
}

TEST(SluiceHpp, ReadsTheKnownValues) {
  auto connector = sluice::Connector::open({data("table")});
  EXPECT_EQ(connector.num_rows(), 1000u);
  auto reader = connector.read(sluice::ReadOptions().batch_size(128));
  std::int64_t row = 0;
  std::vector<std::int64_t> sizes;
  for (const sluice::Batch& batch : reader) {
    sizes.push_back(batch.num_rows());
    ASSERT_EQ(batch.column_names(),
              (std::vector<std::string>{"id", "x", "d", "i8", "u16", "flag", "emb", "cat", "name"}));
    auto id = batch.column("id").values<std::int64_t>();
    auto x = batch.column("x").values<float>();
    auto d = batch.column("d").values<double>();
    auto i8 = batch.column("i8").values<std::int8_t>();
    auto u16 = batch.column("u16").values<std::uint16_t>();
    sluice::Column flag = batch.column("flag"), emb = batch.column("emb"), cat = batch.column("cat"),
                   name = batch.column("name");
    ASSERT_EQ(emb.list_size(), 3);
    ASSERT_TRUE(cat.is_dictionary());
    sluice::Column emb_values = emb.child(0), dictionary = cat.dictionary();
    const float* emb_data = emb_values.values<float>();
    const std::int32_t* codes = cat.values<std::int32_t>();
    for (std::int64_t i = 0; i < batch.num_rows(); ++i, ++row) {
      ASSERT_EQ(id[i], row);
      ASSERT_EQ(x[i], static_cast<float>(row) / 2);
      ASSERT_EQ(d[i], static_cast<double>(row) * 0.25);
      ASSERT_EQ(i8[i], row % 100 - 50);
      ASSERT_EQ(u16[i], (row * 3) % 65536);
      ASSERT_EQ(flag.boolean(i), row % 3 == 0);
      ASSERT_FALSE(flag.is_null(i));
      std::int64_t e = (emb.offset() + i) * 3;
      ASSERT_EQ(emb_data[e], static_cast<float>(row));
      ASSERT_EQ(emb_data[e + 1], static_cast<float>(row) + 0.5f);
      ASSERT_EQ(emb_data[e + 2], -static_cast<float>(row));
      // codes index the batch's dictionary, whose order is the file's (not always a, b, c)
      ASSERT_GE(codes[i], 0);
      ASSERT_LT(codes[i], dictionary.length());
      ASSERT_EQ(dictionary.string(codes[i]), std::string(1, static_cast<char>('a' + row % 3)));
      ASSERT_EQ(name.string(i), "n" + std::to_string(row));
    }
  }
  EXPECT_EQ(row, 1000);
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{128, 128, 128, 128, 128, 128, 128, 104}));
}

// A dataset version that the Python binding created (make_data.py): the table's rows in
// order, without the excluded column "name"; a missing version is an error naming it.
TEST(SluiceHpp, ReadsADatasetVersionCreatedByPython) {
  auto connector = sluice::Connector::open_dataset(data("datasets"), "cpp", "v1", /*verify=*/true);
  EXPECT_EQ(connector.num_rows(), 1000u);
  std::int64_t row = 0;
  for (const sluice::Batch& batch : connector.read(sluice::ReadOptions().batch_size(300))) {
    ASSERT_EQ(batch.column_names(), (std::vector<std::string>{"id", "x", "d", "i8", "u16", "flag", "emb", "cat"}));
    const std::int64_t* id = batch.column("id").values<std::int64_t>();
    const float* x = batch.column("x").values<float>();
    for (std::int64_t i = 0; i < batch.num_rows(); ++i, ++row) {
      ASSERT_EQ(id[i], row);
      ASSERT_EQ(x[i], static_cast<float>(row) / 2);
    }
  }
  EXPECT_EQ(row, 1000);
  sluice::Error missing = error_of([] { sluice::Connector::open_dataset(data("datasets"), "cpp", "v9"); });
  EXPECT_EQ(missing.status(), SLUICE_NOT_FOUND);
  EXPECT_NE(std::string(missing.what()).find("no version 'v9'"), std::string::npos) << missing.what();
}

TEST(SluiceHpp, NullsAreVisible) {
  auto reader = sluice::Connector::open({data("nulls.parquet")}).read();
  auto batch = reader.next();
  ASSERT_TRUE(batch);
  sluice::Column v = batch->column("v");
  EXPECT_EQ(v.null_count(), 25);
  for (std::int64_t i = 0; i < batch->num_rows(); ++i) {
    ASSERT_EQ(v.is_null(i), i % 4 == 0) << i;
    if (!v.is_null(i)) {
      ASSERT_EQ(v.values<std::int32_t>()[i], i);
    }
  }
}

// The same seed, shard and batch size give exactly the rows and order of the
// Python binding (make_data.py dumped them with DataConnector.to_arrow).
TEST(SluiceHpp, SameRowsAndOrderAsPython) {
  auto connector = sluice::Connector::open({data("table")});
  for (const char* name : {"shard_1_of_3", "epoch_2", "worker_1_of_2", "pad_shard_2_of_3", "window_limit", "plain"}) {
    std::string base = data("orders/") + name;
    sluice::ReadOptions options = sluice_test::options_file(base + ".options");
    options.columns({"id"});
    std::vector<std::string> expected = sluice_test::lines(base + ".txt");
    ASSERT_FALSE(expected.empty()) << name;
    EXPECT_EQ(id_lines(connector.read(options)), expected) << name;
    // count_rows agrees with what the read emits
    std::size_t rows = 0;
    for (const auto& line : expected) rows += static_cast<std::size_t>(std::count(line.begin(), line.end(), ' ') + 1);
    EXPECT_EQ(connector.count_rows(options), rows) << name;
  }
}

TEST(SluiceHpp, AReaderResumedFromItsPositionGivesTheRemainingBatches) {
  auto connector = sluice::Connector::open({data("table")});
  auto options = sluice::ReadOptions().shuffle(true).seed(3).batch_size(64).columns({"id"});
  std::vector<std::string> whole = id_lines(connector.read(options));
  ASSERT_GT(whole.size(), 5u);
  auto reader = connector.read(options);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(reader.next().has_value());
  std::string token = reader.position();
  EXPECT_EQ(token.rfind("sluice-pos-1:", 0), 0u) << token;
  auto resumed = sluice::ReadOptions(options).resume_from(token);
  EXPECT_EQ(id_lines(connector.read(resumed)), std::vector<std::string>(whole.begin() + 5, whole.end()));
  // Another seed: refused, naming it.
  auto e = error_of([&] { connector.read(sluice::ReadOptions(options).seed(4).resume_from(token)); });
  EXPECT_EQ(e.status(), SLUICE_INVALID_ARGUMENT);
  EXPECT_NE(std::string(e.what()).find("'seed' (token: 3, this read: 4)"), std::string::npos) << e.what();
  // At the end the position is the end: resuming from it gives nothing.
  while (reader.next()) {
  }
  EXPECT_TRUE(id_lines(connector.read(sluice::ReadOptions(options).resume_from(reader.position()))).empty());
}

TEST(SluiceHpp, BuilderNamesAreThePythonKeywords) {
  // to_arrow(shuffle=True, seed=7, num_shards=3, shard_index=1, batch_size=100), spelled with the builder
  auto options =
      sluice::ReadOptions().shuffle(true).seed(7).num_shards(3).shard_index(1).batch_size(100).columns({"id"});
  EXPECT_EQ(options.values(), sluice_test::options_file(data("orders/shard_1_of_3.options")).columns({"id"}).values());
  auto reader = sluice::Connector::open({data("table")}).read(options);
  EXPECT_EQ(id_lines(std::move(reader)), sluice_test::lines(data("orders/shard_1_of_3.txt")));

  // every other builder method reaches the core under its documented name
  sluice::ReadOptions more;
  more.epoch(1)
      .equal_shards("drop")
      .limit(10)
      .num_workers(2)
      .worker_index(1)
      .drop_last_batch(false)
      .shuffle_window(1000)
      .memory_budget(std::uint64_t{64} << 20)
      .memory_budget("64MiB")
      .fragments_in_flight(2);
  EXPECT_EQ(more.values().at("memory_budget"), "64MiB");
  EXPECT_EQ(more.values().at("equal_shards"), "drop");
  EXPECT_TRUE(more.has("fragments_in_flight"));
  // threads() is the former name of fragments_in_flight()
  sluice::ReadOptions former;
  former.threads(3);
  EXPECT_EQ(former.values().at("fragments_in_flight"), "3");
  EXPECT_FALSE(more.has("seed"));
}

TEST(SluiceHpp, ListOptionsAreJsonSoNamesMayHoldCommas) {
  sluice::ReadOptions options;
  options.columns({"id", "we,ird \"name\""});
  EXPECT_EQ(options.values().at("columns"), "[\"id\",\"we,ird \\\"name\\\"\"]");
  // ... and the core parses it: the odd name is reported as unknown, by its full name
  auto e = error_of([&] { sluice::Connector::open({data("table")}).read(options); });
  EXPECT_NE(std::string(e.what()).find("we,ird \"name\""), std::string::npos) << e.what();
}

TEST(SluiceHpp, OptionErrorsCarryTheCoresStatusAndMessage) {
  auto e = error_of([] { sluice::ReadOptions().set("no_such_option", "1"); });
  EXPECT_EQ(e.status(), SLUICE_INVALID_ARGUMENT);
  EXPECT_NE(std::string(e.what()).find("unknown read option 'no_such_option'"), std::string::npos) << e.what();

  e = error_of([] { sluice::ReadOptions().batch_size(0); });
  EXPECT_EQ(e.status(), SLUICE_INVALID_ARGUMENT);
  EXPECT_NE(std::string(e.what()).find("'batch_size'"), std::string::npos) << e.what();

  e = error_of([] { sluice::SourceOptions().format("xls"); });
  EXPECT_EQ(e.status(), SLUICE_INVALID_ARGUMENT);
  EXPECT_NE(std::string(e.what()).find("format"), std::string::npos) << e.what();

  auto connector = sluice::Connector::open({data("table")});
  e = error_of([&] { connector.read(sluice::ReadOptions().num_shards(2).shard_index(5)); });
  EXPECT_EQ(e.status(), SLUICE_INVALID_ARGUMENT);
  EXPECT_NE(std::string(e.what()).find("shard_index"), std::string::npos) << e.what();

  e = error_of([&] { connector.read(sluice::ReadOptions().columns({"id", "nope"})); });
  EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
}

TEST(SluiceHpp, OpenErrorsNameThePath) {
  std::string missing = data("no_such_file.parquet");
  auto e = error_of([&] { sluice::Connector::open({missing}); });
  EXPECT_EQ(e.status(), SLUICE_NOT_FOUND);
  EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
}

TEST(SluiceHpp, AnErrorMidStreamThrowsWithTheCoresMessage) {
  auto reader = sluice::Connector::open({data("bad.csv")}).read(sluice::ReadOptions().batch_size(100));
  std::int64_t rows = 0;
  auto e = error_of([&] {
    for (const sluice::Batch& batch : reader) rows += batch.num_rows();
  });
  EXPECT_EQ(e.stream_errno(), EBADMSG);
  EXPECT_EQ(e.status(), SLUICE_INVALID_DATA);
  EXPECT_NE(std::string(e.what()).find("oops"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("bad.csv"), std::string::npos) << e.what();
  EXPECT_LT(rows, 2500);
}

TEST(SluiceHpp, ACorruptPageFoundWhileIteratingThrowsItsStatus) {
  // The footer is valid (the open succeeds); the second row group's pages are garbage.
  auto reader =
      sluice::Connector::open({data("corrupt_pages.parquet")}).read(sluice::ReadOptions().batch_size(100).threads(1));
  std::optional<sluice::Batch> first = reader.next();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->num_rows(), 100);
  const std::int64_t* ids = first->column("id").values<std::int64_t>();
  for (std::int64_t i = 0; i < 100; ++i) ASSERT_EQ(ids[i], i);
  auto e = error_of([&] {
    while (reader.next()) {
    }
  });
  EXPECT_EQ(e.status(), SLUICE_INVALID_DATA) << sluice::status_name(e.status()) << ": " << e.what();
  EXPECT_EQ(e.stream_errno(), EBADMSG);
  EXPECT_NE(std::string(e.what()).find("corrupt_pages.parquet"), std::string::npos) << e.what();
}

TEST(SluiceHpp, StatusNamesMatchTheHeader) {
  // sluice.hpp's status_name is a copy of the enum in sluice.h: they must not drift.
  std::ifstream in(SLUICE_TEST_HEADER);
  ASSERT_TRUE(in) << SLUICE_TEST_HEADER;
  std::stringstream text;
  text << in.rdbuf();
  std::string header = text.str();
  std::size_t begin = header.find("typedef enum sluice_status {");
  std::size_t end = header.find("} sluice_status;", begin);
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string body = header.substr(begin, end - begin);
  // Each enumerator is "SLUICE_<NAME> = <value>," (comments in between say nothing of the form).
  int count = 0, highest = -1;
  for (std::size_t at = body.find("SLUICE_"); at != std::string::npos; at = body.find("SLUICE_", at + 1)) {
    std::size_t name_end = at + 7;
    while (name_end < body.size() &&
           (std::isupper(static_cast<unsigned char>(body[name_end])) || body[name_end] == '_'))
      ++name_end;
    if (body.compare(name_end, 3, " = ") != 0) continue;
    std::string name = body.substr(at + 7, name_end - at - 7);
    int value = std::stoi(body.substr(name_end + 3));
    const char* known = sluice::status_name(static_cast<sluice_status>(value));
    ASSERT_NE(known, nullptr) << "sluice.hpp has no name for SLUICE_" << name << " = " << value;
    EXPECT_EQ(std::string(known), name);
    highest = std::max(highest, value);
    ++count;
  }
  EXPECT_GE(count, 10);
  EXPECT_EQ(count, highest + 1);
  EXPECT_EQ(sluice::status_name(static_cast<sluice_status>(highest + 1)), nullptr)
      << "sluice.hpp names a status that sluice.h does not have";
}

TEST(SluiceHpp, AnotherAbiVersionIsRefused) {
  EXPECT_NO_THROW(sluice::detail::require_abi(SLUICE_ABI_VERSION));
  auto e = error_of([] { sluice::detail::require_abi(SLUICE_ABI_VERSION + 1); });
  EXPECT_EQ(e.status(), SLUICE_UNSUPPORTED);
  EXPECT_NE(std::string(e.what()).find("ABI version " + std::to_string(SLUICE_ABI_VERSION + 1)), std::string::npos)
      << e.what();
  // Connector::open and the options run the check on their first call.
  EXPECT_NO_THROW(sluice::detail::check_abi_once());
}

TEST(SluiceHpp, AnExceptionInTheLoopReleasesEverything) {
  // LeakSanitizer checks at exit that the stream, batch and schema were released.
  auto connector = sluice::Connector::open({data("table")});
  EXPECT_THROW(
      {
        for (const sluice::Batch& batch : connector.read(sluice::ReadOptions().batch_size(10))) {
          if (batch.column("id").values<std::int64_t>()[0] == 50) throw std::runtime_error("stop");
        }
      },
      std::runtime_error);
}

TEST(SluiceHpp, BatchesAndReadersOutliveTheirParents) {
  std::optional<sluice::Batch> kept;
  std::optional<sluice::Reader> reader;
  {
    auto connector = sluice::Connector::open({data("table")});
    reader.emplace(connector.read(sluice::ReadOptions().batch_size(300).columns({"id", "name"})));
  }  // connector freed; the stream holds what it needs
  kept = reader->next();
  ASSERT_TRUE(kept);
  sluice::Reader moved = std::move(*reader);
  EXPECT_FALSE(reader->next());  // a moved-from reader is at its end
  reader.reset();
  std::int64_t rows = kept->num_rows();
  while (auto batch = moved.next()) rows += batch->num_rows();
  EXPECT_EQ(rows, 1000);
  EXPECT_FALSE(moved.next());  // after the end: the end again
  EXPECT_FALSE(moved.next());
  { sluice::Reader gone = std::move(moved); }  // the stream is released here
  // the batch still holds its own array
  EXPECT_EQ(kept->column("name").string(299), "n299");
  sluice::Batch copy = *kept;
  EXPECT_EQ(copy.array().use_count(), 2);
}

TEST(SluiceHpp, ColumnMisuseIsAnErrorNamingTheColumn) {
  auto reader = sluice::Connector::open({data("table")}).read(sluice::ReadOptions().batch_size(10));
  auto batch = reader.next();
  ASSERT_TRUE(batch);
  auto e = error_of([&] { batch->column("missing"); });
  EXPECT_NE(std::string(e.what()).find("'missing'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("id, x"), std::string::npos) << e.what();
  e = error_of([&] { batch->column("x").values<double>(); });
  EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
  e = error_of([&] { batch->column("id").string(0); });
  EXPECT_NE(std::string(e.what()).find("'id'"), std::string::npos) << e.what();
  e = error_of([&] { batch->column(99); });
  EXPECT_NE(std::string(e.what()).find("99"), std::string::npos) << e.what();
}

TEST(SluiceHpp, RawStreamsAndSchemasAreOwned) {
  auto connector = sluice::Connector::open({data("table")});
  sluice::UniqueSchema schema = connector.schema();
  ASSERT_TRUE(schema.valid());
  EXPECT_EQ(schema->n_children, 9);
  EXPECT_STREQ(schema->children[0]->name, "id");
  sluice::UniqueSchema moved = std::move(schema);
  EXPECT_FALSE(schema.valid());
  EXPECT_TRUE(moved.valid());

  sluice::UniqueStream stream = connector.read_stream(sluice::ReadOptions().limit(5));
  ASSERT_TRUE(stream.valid());
  // hand the stream to "another consumer" (a raw struct) and read it there
  ArrowArrayStream raw;
  stream.move_to(&raw);
  EXPECT_FALSE(stream.valid());
  sluice::Reader reader{sluice::UniqueStream(&raw)};
  EXPECT_EQ(raw.release, nullptr);
  auto batch = reader.next();
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->num_rows(), 5);
  sluice::UniqueStream back = reader.release_stream();
  EXPECT_TRUE(back.valid());
  EXPECT_FALSE(reader.next());
}

TEST(SluiceHpp, ReadOptionsCopyReplaysTheirValues) {
  sluice::ReadOptions a;
  a.batch_size(7).columns({"id"});
  sluice::ReadOptions b = a;
  b.limit(10);
  EXPECT_FALSE(a.has("limit"));
  auto connector = sluice::Connector::open({data("table")});
  EXPECT_EQ(connector.count_rows(b), 10u);
  EXPECT_EQ(connector.count_rows(a), 1000u);
  auto batch = connector.read(b).next();
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->num_rows(), 7);
}

TEST(SluiceHpp, TypesPassBetweenTranslationUnits) {
  sluice::Reader reader = sluice_test::open_in_second_tu(data("table"), 400);
  std::vector<std::int64_t> sizes;
  for (const sluice::Batch& batch : reader) sizes.push_back(batch.num_rows());
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{400, 400, 200}));
}

// --- tensor mode (the core applies the column policy) ---------------------------

TEST(SluiceHppTensorMode, NullsAreAnErrorNamingTheColumnUnlessFilledOrMasked) {
  auto connector = sluice::Connector::open({data("nulls.parquet")});
  auto e = error_of([&] {
    for (const auto& batch : connector.read(sluice::ReadOptions().tensors(true))) (void)batch;
  });
  EXPECT_NE(std::string(e.what()).find("'v'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("25"), std::string::npos) << e.what();

  auto filled = connector.read(sluice::ReadOptions().tensors(true).null_fill(-1)).next();
  ASSERT_TRUE(filled);
  sluice::Column v = filled->column("v");
  EXPECT_EQ(v.null_count(), 0);
  EXPECT_EQ(v.values<std::int32_t>()[0], -1);
  EXPECT_EQ(v.values<std::int32_t>()[1], 1);

  auto masked = connector.read(sluice::ReadOptions().tensors(true).null_mask({"v"})).next();
  ASSERT_TRUE(masked);
  EXPECT_EQ(masked->column_names(), (std::vector<std::string>{"id", "v", "v_is_null"}));
  EXPECT_TRUE(masked->column("v_is_null").boolean(0));
  EXPECT_FALSE(masked->column("v_is_null").boolean(1));
}

}  // namespace

// --- TensorColumn: the one classification the framework adapters build on ---------

TEST(SluiceHppTensorColumn, ClassifiesEveryTensorModeColumnOfTheTable) {
  auto connector = sluice::Connector::open({data("table")});
  auto reader = connector.read(sluice::ReadOptions().tensors(true).dictionary("codes").batch_size(100));
  reader.next();
  auto batch = reader.next();  // rows 100..199: offsets into the files' buffers
  ASSERT_TRUE(batch);
  using Kind = sluice::TensorColumn::Kind;
  using sluice::ElementType;
  auto classify = [&](const char* name) { return sluice::TensorColumn::classify(batch->column(name), "test"); };

  sluice::TensorColumn id = classify("id");
  EXPECT_EQ(id.kind(), Kind::values);
  EXPECT_TRUE(id.scalar());
  EXPECT_EQ(id.element_type(), ElementType::int64);
  ASSERT_EQ(id.element_count(), 100);
  const auto* ids = static_cast<const std::int64_t*>(id.element_data());
  EXPECT_EQ(ids, batch->column("id").values<std::int64_t>());  // zero-copy
  for (std::int64_t i = 0; i < 100; ++i) ASSERT_EQ(ids[i], 100 + i);

  EXPECT_EQ(classify("x").element_type(), ElementType::float32);
  EXPECT_EQ(classify("d").element_type(), ElementType::float64);
  EXPECT_EQ(classify("i8").element_type(), ElementType::int8);
  EXPECT_EQ(classify("u16").element_type(), ElementType::uint16);

  sluice::TensorColumn flag = classify("flag");
  EXPECT_EQ(flag.element_type(), ElementType::boolean);
  std::vector<char> flags(100);
  flag.unpack_booleans(reinterpret_cast<bool*>(flags.data()));
  for (std::int64_t i = 0; i < 100; ++i) ASSERT_EQ(flags[i] != 0, (100 + i) % 3 == 0) << i;

  sluice::TensorColumn emb = classify("emb");  // fixed_size_list<float32>[3]
  EXPECT_EQ(emb.kind(), Kind::values);
  EXPECT_FALSE(emb.scalar());
  EXPECT_EQ(emb.width(), 3);
  ASSERT_EQ(emb.element_count(), 300);
  const auto* embs = static_cast<const float*>(emb.element_data());
  EXPECT_EQ(embs[3 * 99 + 1], 199.5f);
  EXPECT_EQ(embs[3 * 99 + 2], -199.0f);

  sluice::TensorColumn cat = classify("cat");  // dictionary=codes: the int32 codes
  EXPECT_EQ(cat.kind(), Kind::values);
  EXPECT_EQ(cat.element_type(), ElementType::int32);
  // codes mean something only with their batch's dictionary
  std::int32_t code = static_cast<const std::int32_t*>(cat.element_data())[1];
  EXPECT_EQ(cat.column().dictionary().string(code), std::string(1, "abc"[101 % 3]));

  sluice::TensorColumn name = classify("name");
  EXPECT_EQ(name.kind(), Kind::strings);
  EXPECT_EQ(name.string(0), "n100");
}

TEST(SluiceHppTensorColumn, RaggedListsGiveElementsAndOffsetsFromZero) {
  auto connector = sluice::Connector::open({data("ragged.parquet")});
  auto reader = connector.read(sluice::ReadOptions().tensors(true).ragged("values_offsets").batch_size(10));
  reader.next();
  auto batch = reader.next();  // rows 10..19: a slice whose offsets do not start at 0
  ASSERT_TRUE(batch);
  sluice::TensorColumn tags = sluice::TensorColumn::classify(batch->column("tags"), "test");
  ASSERT_EQ(tags.kind(), sluice::TensorColumn::Kind::ragged);
  EXPECT_EQ(tags.element_type(), sluice::ElementType::int32);
  std::vector<std::int32_t> want_values;
  for (std::int64_t r = 10; r < 20; ++r) {
    ASSERT_EQ(tags.row_offset(r - 10), static_cast<std::int64_t>(want_values.size()));
    for (std::int32_t v = static_cast<std::int32_t>(r); v < r + r % 4; ++v) want_values.push_back(v);
  }
  ASSERT_EQ(tags.row_offset(10), static_cast<std::int64_t>(want_values.size()));
  ASSERT_EQ(tags.element_count(), static_cast<std::int64_t>(want_values.size()));
  const auto* values = static_cast<const std::int32_t*>(tags.element_data());
  EXPECT_EQ(std::vector<std::int32_t>(values, values + want_values.size()), want_values);
  // the raw offsets, for adapters that wrap them: offsets_base() subtracted, they match row_offset
  ASSERT_FALSE(tags.large_offsets());
  const auto* raw = static_cast<const std::int32_t*>(tags.offsets_data());
  for (std::int64_t i = 0; i <= 10; ++i) ASSERT_EQ(raw[i] - tags.offsets_base(), tags.row_offset(i)) << i;
}

TEST(SluiceHppTensorColumn, NullsAndOtherTypesAreErrorsNamingColumnAndAdapter) {
  // a plain read (no tensor mode) leaves the nulls in
  auto nulls = sluice::Connector::open({data("nulls.parquet")}).read(sluice::ReadOptions().batch_size(100)).next();
  ASSERT_TRUE(nulls);
  auto e = error_of([&] { sluice::TensorColumn::classify(nulls->column("v"), "libtorch"); });
  EXPECT_EQ(e.status(), SLUICE_INVALID_ARGUMENT);
  EXPECT_NE(std::string(e.what()).find("'v' has 25 null value(s)"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("libtorch tensors"), std::string::npos) << e.what();

  // a date32 array ("tdD"): no adapter maps it (tensor mode converts dates in the core)
  ArrowSchema date{};
  date.format = "tdD";
  date.name = "day";
  ArrowArray days{};
  const void* buffers[2] = {nullptr, nullptr};
  days.n_buffers = 2;
  days.buffers = buffers;
  e = error_of([&] { sluice::TensorColumn::classify(sluice::Column(&date, &days), "TensorFlow"); });
  EXPECT_NE(std::string(e.what()).find("'day' has Arrow format 'tdD'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("TensorFlow tensors"), std::string::npos) << e.what();
}
