// sluice/torch.hpp: sluice batches as libtorch tensors (C++20, as libtorch's headers require).
//
// A type mapping and nothing more: reads run with tensors=true, so the core
// applies the column policy (docs/design.md) (decimals, dates, ragged lists, nulls) and
// what arrives has only these Arrow types, mapped exactly as the Python binding
// maps them (bindings/python/sluice/_numpy.py):
//
//   Arrow (tensor mode)                    libtorch
//   int8..int64, uint8..uint64,            same dtype, zero-copy, shape (batch, 1)
//   float16/32/64                          ((batch,) with Options::squeeze)
//   bool                                   kBool, (batch, 1): a copy (Arrow packs bits)
//   dictionary<K, V> (dictionary=codes;    the codes, dtype K, zero-copy, (batch, 1)
//     by default the core decodes them)
//   fixed_size_list<T>[k]                  dtype T, (batch, k), zero-copy (bool: a copy)
//   list / large_list<T>                   TensorBatch::ragged: values (n,) dtype T zero-copy,
//     (ragged=values_offsets)              offsets (batch + 1,) int32 / int64 from 0
//   utf8, large_utf8, binary, large_binary not a tensor: TensorBatch::strings holds them as
//                                          std::vector<std::string> (a copy), or, with
//                                          Options::strings = Strings::error, an Error naming
//                                          the column
//
// Zero-copy tensors wrap the Arrow buffers with torch::from_blob; their
// deleters share ownership of the batch's ArrowArray, which is released when
// the last tensor of the batch goes. They alias read-only data: clone() before
// writing in place.
//
// Packed mode (read_packed): the core assembles the feature columns into one
// fixed_size_list<float32> column "features", so X is one (batch, n_features)
// float32 tensor and y the label column.
#ifndef SLUICE_TORCH_HPP
#define SLUICE_TORCH_HPP

#include <sluice/sluice.hpp>

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sluice::torch {

/// What happens to string and binary columns, which cannot be tensors.
enum class Strings {
  separate,  ///< copied into TensorBatch::strings (the default)
  error,     ///< an Error naming the column (read with `columns` to leave them out)
};

struct Options {
  /// Scalar columns shaped (batch,) instead of (batch, 1).
  bool squeeze = false;
  Strings strings = Strings::separate;
};

/// A ragged list column read with ragged=values_offsets.
struct Ragged {
  at::Tensor values;   ///< every row's values, one after the other
  at::Tensor offsets;  ///< row i is values[offsets[i] : offsets[i + 1]]; offsets[0] == 0
};

/// One batch as libtorch tensors, by column name.
struct TensorBatch {
  std::int64_t num_rows = 0;
  std::vector<std::string> names;  ///< every column, in the read's order
  std::unordered_map<std::string, at::Tensor> tensors;
  std::unordered_map<std::string, std::vector<std::string>> strings;
  std::unordered_map<std::string, Ragged> ragged;

  /// The tensor of column `name`; an Error naming it if there is none.
  const at::Tensor& operator[](const std::string& name) const {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      throw Error(SLUICE_INVALID_ARGUMENT, "sluice: the batch has no tensor column '" + name + "'");
    }
    return it->second;
  }
};

/// One packed batch: X (batch, n_features) float32, y the label.
struct PackedBatch {
  at::Tensor X;
  at::Tensor y;
};

namespace detail {

/// The torch dtype of an element type.
inline at::ScalarType dtype_of(ElementType type) noexcept {
  switch (type) {
    case ElementType::boolean: return at::kBool;
    case ElementType::int8: return at::kChar;
    case ElementType::uint8: return at::kByte;
    case ElementType::int16: return at::kShort;
    case ElementType::uint16: return at::kUInt16;
    case ElementType::int32: return at::kInt;
    case ElementType::uint32: return at::kUInt32;
    case ElementType::int64: return at::kLong;
    case ElementType::uint64: return at::kUInt64;
    case ElementType::float16: return at::kHalf;
    case ElementType::float32: return at::kFloat;
    case ElementType::float64: return at::kDouble;
  }
  return at::kByte;  // not reached: the switch names every type
}

/// The column's elements shaped `sizes`: zero-copy, except bool (Arrow packs bits).
inline at::Tensor elements_tensor(const TensorColumn& column, at::IntArrayRef sizes,
                                  const std::shared_ptr<UniqueArray>& owner) {
  at::TensorOptions dtype = at::TensorOptions().dtype(dtype_of(column.element_type()));
  if (column.element_type() == ElementType::boolean) {
    at::Tensor out = at::empty(sizes, dtype);
    column.unpack_booleans(out.data_ptr<bool>());
    return out;
  }
  if (column.element_count() == 0) return at::empty(sizes, dtype);
  // The deleter keeps the whole batch's ArrowArray alive while this tensor lives.
  return ::torch::from_blob(
      const_cast<void*>(column.element_data()), sizes, [owner](void*) {}, dtype);
}

inline std::vector<std::string> string_values(const TensorColumn& column) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(column.num_rows()));
  for (std::int64_t i = 0; i < column.num_rows(); ++i) out.emplace_back(column.string(i));
  return out;
}

inline Ragged ragged_tensors(const TensorColumn& column, const std::shared_ptr<UniqueArray>& owner) {
  Ragged out;
  out.values = elements_tensor(column, {column.element_count()}, owner);
  at::TensorOptions offset_type = at::TensorOptions().dtype(column.large_offsets() ? at::kLong : at::kInt);
  out.offsets = ::torch::from_blob(
      const_cast<void*>(column.offsets_data()), {column.num_rows() + 1}, [owner](void*) {}, offset_type);
  // a sliced array: offsets into the whole child
  if (column.offsets_base() != 0) out.offsets = out.offsets - column.offsets_base();
  return out;
}

}  // namespace detail

/// One batch of a tensor-mode read as tensors (see the table at the top).
inline TensorBatch to_tensors(const Batch& batch, const Options& options = Options()) {
  TensorBatch out;
  out.num_rows = batch.num_rows();
  const std::int64_t rows = batch.num_rows();
  const auto& owner = batch.array();
  const std::vector<std::int64_t> scalar_shape =
      options.squeeze ? std::vector<std::int64_t>{rows} : std::vector<std::int64_t>{rows, 1};
  for (std::int64_t c = 0; c < batch.num_columns(); ++c) {
    TensorColumn column = TensorColumn::classify(batch.column(c), "libtorch");
    std::string name(column.name());
    out.names.push_back(name);
    switch (column.kind()) {
      case TensorColumn::Kind::strings:
        if (options.strings == Strings::error) {
          throw Error(SLUICE_INVALID_ARGUMENT, "sluice: column '" + name + "' holds strings (Arrow format '" +
                                                   std::string(column.column().format()) +
                                                   "'), which cannot be a libtorch tensor; leave it out with "
                                                   "columns, or use Strings::separate");
        }
        out.strings.emplace(name, detail::string_values(column));
        break;
      case TensorColumn::Kind::ragged: out.ragged.emplace(name, detail::ragged_tensors(column, owner)); break;
      case TensorColumn::Kind::values: {
        std::vector<std::int64_t> sizes =
            column.scalar() ? scalar_shape : std::vector<std::int64_t>{rows, column.width()};
        out.tensors.emplace(name, detail::elements_tensor(column, sizes, owner));
        break;
      }
    }
  }
  return out;
}

/// One batch of a packed read: X from the "features" column, y from `label`,
/// shaped (batch,) as in Python's to_torch_dataset(features=..., label=...).
inline PackedBatch to_packed(const Batch& batch, const std::string& label, const Options& options = Options()) {
  Options squeezed = options;
  squeezed.squeeze = true;  // only the label is a scalar column here
  TensorBatch tensors = to_tensors(batch, squeezed);
  auto features = tensors.tensors.find("features");
  if (features == tensors.tensors.end() || features->second.dim() != 2 ||
      features->second.scalar_type() != at::kFloat) {
    throw Error(SLUICE_INVALID_ARGUMENT,
                "sluice: the batch has no packed 'features' column (fixed_size_list<float32>); read it with "
                "the features and label read options");
  }
  return PackedBatch{features->second, tensors[label]};
}

namespace detail {

/// Adds tensors=true unless the caller chose a value.
inline ReadOptions tensor_mode(ReadOptions options) {
  if (!options.has("tensors")) options.tensors(true);
  return options;
}

struct ToTensors {
  Options options;
  TensorBatch operator()(const Batch& batch) const { return to_tensors(batch, options); }
};
struct ToPacked {
  std::string label;
  Options options;
  PackedBatch operator()(const Batch& batch) const { return to_packed(batch, label, options); }
};

}  // namespace detail

using TensorReader = ConvertingReader<TensorBatch, detail::ToTensors>;
using PackedReader = ConvertingReader<PackedBatch, detail::ToPacked>;

/// Reads batches as tensors by column name: `for (TensorBatch& b : sluice::torch::read(connector, options))`.
/// Sets tensors=true on the read unless `options` sets it.
inline TensorReader read(const Connector& connector, const ReadOptions& options = ReadOptions(),
                         const Options& torch_options = Options()) {
  return TensorReader(connector.read(detail::tensor_mode(options)), detail::ToTensors{torch_options});
}

/// Reads (X, y) batches in packed mode: `for (auto& [X, y] : sluice::torch::read_packed(...))`.
/// X is (batch, features.size()) float32; y is the label, shaped (batch,) (Python's shapes).
inline PackedReader read_packed(const Connector& connector, const std::vector<std::string>& features,
                                const std::string& label, const ReadOptions& options = ReadOptions(),
                                const Options& torch_options = Options()) {
  ReadOptions packed = detail::tensor_mode(options);
  packed.features(features).label(label);
  return PackedReader(connector.read(packed), detail::ToPacked{label, torch_options});
}

}  // namespace sluice::torch

#endif  // SLUICE_TORCH_HPP
