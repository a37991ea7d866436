// sluice/tensorflow.hpp: sluice batches as tensorflow::Tensor (C++17), built
// against the TensorFlow C++ headers and libtensorflow_framework.so.2 that the
// tensorflow-cpu wheel ships (cmake: sluice_import_tensorflow_wheel()).
//
// A type mapping and nothing more: reads run with tensors=true, so the core
// applies DESIGN.md's column policy, and the Arrow types that arrive map as the
// Python binding maps them:
//
//   Arrow (tensor mode)                    tensorflow::Tensor
//   int8..int64, uint8..uint64,            same dtype, shape (batch, 1)
//   float16/32/64                          ((batch,) with Options::squeeze)
//   bool                                   DT_BOOL (a copy: Arrow packs bits)
//   dictionary<K, V> (dictionary=codes;    the codes, dtype K
//     by default the core decodes them)
//   fixed_size_list<T>[k]                  dtype T, (batch, k)
//   utf8, large_utf8, binary, large_binary DT_STRING (tf.string), a copy
//   list / large_list<T>                   TensorBatch::ragged: values (n,) and row_splits
//     (ragged=values_offsets)              (batch + 1,) int64 from 0 (tf.RaggedTensor's parts)
//
// Fixed-width buffers are wrapped without a copy when they are aligned as
// TensorFlow's kernels require (EIGEN_MAX_ALIGN_BYTES); the tensor then holds a
// share of the batch's ArrowArray. Unaligned slices are copied.
#ifndef SLUICE_TENSORFLOW_HPP
#define SLUICE_TENSORFLOW_HPP

#include <sluice/sluice.hpp>

#include <tensorflow/core/framework/tensor.h>
#include <tensorflow/core/framework/tensor_shape.h>
#include <tensorflow/core/framework/types.pb.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sluice::tensorflow {

struct Options {
  /// Scalar columns shaped (batch,) instead of (batch, 1).
  bool squeeze = false;
};

/// A ragged list column read with ragged=values_offsets (tf.RaggedTensor.from_row_splits parts).
struct Ragged {
  ::tensorflow::Tensor values;
  ::tensorflow::Tensor row_splits;  ///< int64, batch + 1 entries, from 0
};

/// One batch as named tensors.
struct TensorBatch {
  std::int64_t num_rows = 0;
  std::vector<std::string> names;  ///< every column, in the read's order
  std::unordered_map<std::string, ::tensorflow::Tensor> tensors;
  std::unordered_map<std::string, Ragged> ragged;

  /// The tensor of column `name`; an Error naming it if there is none.
  const ::tensorflow::Tensor& operator[](const std::string& name) const {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      throw Error(SLUICE_INVALID_ARGUMENT, "sluice: the batch has no tensor column '" + name + "'");
    }
    return it->second;
  }
};

namespace detail {

/// A TensorBuffer over Arrow memory; it keeps the batch's ArrowArray alive.
class ArrowBuffer : public ::tensorflow::TensorBuffer {
 public:
  ArrowBuffer(void* data, std::size_t bytes, std::shared_ptr<UniqueArray> owner)
      : TensorBuffer(data), bytes_(bytes), owner_(std::move(owner)) {}
  std::size_t size() const override { return bytes_; }
  TensorBuffer* root_buffer() override { return this; }
  void FillAllocationDescription(::tensorflow::AllocationDescription*) const override {}
  bool OwnsMemory() const override { return false; }

 private:
  std::size_t bytes_;
  std::shared_ptr<UniqueArray> owner_;
};

inline Error column_error(std::string_view name, const std::string& what) {
  return Error(SLUICE_INVALID_ARGUMENT, "sluice: column '" + std::string(name) + "' " + what +
                                            "; TensorFlow tensors are made from tensor-mode reads (tensors=true, "
                                            "which apply the column policy in the core)");
}

/// The TensorFlow dtype and element size of a fixed-width Arrow format.
inline std::optional<std::pair<::tensorflow::DataType, std::size_t>> dtype_of(std::string_view format) {
  using namespace ::tensorflow;
  if (format.size() != 1) return std::nullopt;
  switch (format[0]) {
    case 'c': return std::make_pair(DT_INT8, std::size_t{1});
    case 'C': return std::make_pair(DT_UINT8, std::size_t{1});
    case 's': return std::make_pair(DT_INT16, std::size_t{2});
    case 'S': return std::make_pair(DT_UINT16, std::size_t{2});
    case 'i': return std::make_pair(DT_INT32, std::size_t{4});
    case 'I': return std::make_pair(DT_UINT32, std::size_t{4});
    case 'l': return std::make_pair(DT_INT64, std::size_t{8});
    case 'L': return std::make_pair(DT_UINT64, std::size_t{8});
    case 'e': return std::make_pair(DT_HALF, std::size_t{2});
    case 'f': return std::make_pair(DT_FLOAT, std::size_t{4});
    case 'g': return std::make_pair(DT_DOUBLE, std::size_t{8});
    default: return std::nullopt;
  }
}

inline void require_no_nulls(const Column& column, std::string_view name) {
  if (column.null_count() != 0) {
    throw column_error(name, "has " + std::to_string(column.null_count()) + " null value(s)");
  }
}

/// `count` values of a fixed-width or bool array from element `first` (plus the
/// array's own offset), shaped `shape`.
inline ::tensorflow::Tensor values_tensor(const Column& values, std::string_view name, std::int64_t first,
                                          std::int64_t count, const ::tensorflow::TensorShape& shape,
                                          const std::shared_ptr<UniqueArray>& owner) {
  require_no_nulls(values, name);
  std::int64_t start = values.offset() + first;
  if (values.format() == "b") {
    ::tensorflow::Tensor out(::tensorflow::DT_BOOL, shape);
    bool* dst = out.flat<bool>().data();
    const auto* bits = static_cast<const std::uint8_t*>(values.array()->buffers[1]);
    for (std::int64_t i = 0; i < count; ++i) {
      std::int64_t j = start + i;
      dst[i] = ((bits[j >> 3] >> (j & 7)) & 1) != 0;
    }
    return out;
  }
  auto dtype = dtype_of(values.format());
  if (!dtype) throw column_error(name, "has Arrow format '" + std::string(values.format()) + "'");
  auto [type, size] = *dtype;
  const char* data = static_cast<const char*>(values.array()->buffers[1]) + start * static_cast<std::int64_t>(size);
  std::size_t bytes = static_cast<std::size_t>(count) * size;
  if (count > 0 && reinterpret_cast<std::uintptr_t>(data) % EIGEN_MAX_ALIGN_BYTES == 0) {
    auto* buffer = new ArrowBuffer(const_cast<char*>(data), bytes, owner);
    ::tensorflow::Tensor out(type, shape, buffer);
    buffer->Unref();  // the tensor holds its own reference
    return out;
  }
  ::tensorflow::Tensor out(type, shape);
  if (bytes != 0) std::memcpy(out.data(), data, bytes);
  return out;
}

inline ::tensorflow::Tensor string_tensor(const Column& column, const ::tensorflow::TensorShape& shape) {
  ::tensorflow::Tensor out(::tensorflow::DT_STRING, shape);
  auto flat = out.flat<::tensorflow::tstring>();
  for (std::int64_t i = 0; i < column.length(); ++i) {
    std::string_view s = column.string(i);
    flat(i).assign(s.data(), s.size());
  }
  return out;
}

inline Ragged ragged_tensors(const Column& column, const std::shared_ptr<UniqueArray>& owner) {
  std::int64_t rows = column.length();
  std::int64_t first = column.list_offset(0), last = column.list_offset(rows);
  Ragged out;
  out.values = values_tensor(column.child(0), column.name(), first, last - first,
                             ::tensorflow::TensorShape({last - first}), owner);
  out.row_splits = ::tensorflow::Tensor(::tensorflow::DT_INT64, ::tensorflow::TensorShape({rows + 1}));
  auto splits = out.row_splits.flat<std::int64_t>();
  for (std::int64_t i = 0; i <= rows; ++i) splits(i) = column.list_offset(i) - first;
  return out;
}

}  // namespace detail

/// One batch of a tensor-mode read as named tensors (see the table at the top).
inline TensorBatch to_tensors(const Batch& batch, const Options& options = Options()) {
  TensorBatch out;
  out.num_rows = batch.num_rows();
  const std::int64_t rows = batch.num_rows();
  const auto& owner = batch.array();
  ::tensorflow::TensorShape scalar_shape =
      options.squeeze ? ::tensorflow::TensorShape({rows}) : ::tensorflow::TensorShape({rows, 1});
  for (std::int64_t c = 0; c < batch.num_columns(); ++c) {
    Column column = batch.column(c);
    std::string name(column.name());
    std::string_view format = column.format();
    out.names.push_back(name);
    if (format == "u" || format == "U" || format == "z" || format == "Z") {
      detail::require_no_nulls(column, name);
      out.tensors.emplace(name, detail::string_tensor(column, scalar_shape));
    } else if (column.is_dictionary()) {
      detail::require_no_nulls(column, name);
      out.tensors.emplace(name, detail::values_tensor(column, name, 0, rows, scalar_shape, owner));
    } else if (std::int64_t k = column.list_size(); k > 0) {
      detail::require_no_nulls(column, name);
      out.tensors.emplace(name, detail::values_tensor(column.child(0), name, column.offset() * k, rows * k,
                                                      ::tensorflow::TensorShape({rows, k}), owner));
    } else if (format == "+l" || format == "+L") {
      detail::require_no_nulls(column, name);
      out.ragged.emplace(name, detail::ragged_tensors(column, owner));
    } else if (format == "b" || detail::dtype_of(format)) {
      out.tensors.emplace(name, detail::values_tensor(column, name, 0, rows, scalar_shape, owner));
    } else {
      throw detail::column_error(name, "has Arrow format '" + std::string(format) + "'");
    }
  }
  return out;
}

namespace detail {
struct ToTensors {
  Options options;
  TensorBatch operator()(const Batch& batch) const { return to_tensors(batch, options); }
};
}  // namespace detail

/// A range over a tensor-mode read: `for (TensorBatch& b : sluice::tensorflow::read(connector, options))`.
using TensorReader = ConvertingReader<TensorBatch, detail::ToTensors>;

/// Reads batches as named tensors; sets tensors=true on the read unless `options` sets it.
inline TensorReader read(const Connector& connector, ReadOptions options = ReadOptions(),
                         const Options& tf_options = Options()) {
  if (!options.has("tensors")) options.tensors(true);
  return TensorReader(connector.read(options), detail::ToTensors{tf_options});
}

}  // namespace sluice::tensorflow

#endif  // SLUICE_TENSORFLOW_HPP
