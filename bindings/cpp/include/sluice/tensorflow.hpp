// sluice/tensorflow.hpp: sluice batches as tensorflow::Tensor (C++17), built
// against the TensorFlow C++ headers and libtensorflow_framework.so.2 that the
// tensorflow-cpu wheel ships (cmake: sluice_import_tensorflow_wheel()).
//
// A type mapping and nothing more: reads run with tensors=true, so the core
// applies the column policy (docs/design.md), and the Arrow types that arrive map as the
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

/// The TensorFlow dtype of an element type.
inline ::tensorflow::DataType dtype_of(ElementType type) noexcept {
  using namespace ::tensorflow;
  switch (type) {
    case ElementType::boolean: return DT_BOOL;
    case ElementType::int8: return DT_INT8;
    case ElementType::uint8: return DT_UINT8;
    case ElementType::int16: return DT_INT16;
    case ElementType::uint16: return DT_UINT16;
    case ElementType::int32: return DT_INT32;
    case ElementType::uint32: return DT_UINT32;
    case ElementType::int64: return DT_INT64;
    case ElementType::uint64: return DT_UINT64;
    case ElementType::float16: return DT_HALF;
    case ElementType::float32: return DT_FLOAT;
    case ElementType::float64: return DT_DOUBLE;
  }
  return DT_INVALID;  // not reached: the switch names every type
}

/// The column's elements shaped `shape`: wrapped when aligned, else copied (bool
/// always: Arrow packs bits).
inline ::tensorflow::Tensor elements_tensor(const TensorColumn& column, const ::tensorflow::TensorShape& shape,
                                            const std::shared_ptr<UniqueArray>& owner) {
  ::tensorflow::DataType type = dtype_of(column.element_type());
  if (column.element_type() == ElementType::boolean) {
    ::tensorflow::Tensor out(type, shape);
    column.unpack_booleans(out.flat<bool>().data());
    return out;
  }
  const std::int64_t count = column.element_count();
  std::size_t bytes = static_cast<std::size_t>(count) * element_size(column.element_type());
  if (count == 0) return ::tensorflow::Tensor(type, shape);
  const void* data = column.element_data();
  if (reinterpret_cast<std::uintptr_t>(data) % EIGEN_MAX_ALIGN_BYTES == 0) {
    auto* buffer = new ArrowBuffer(const_cast<void*>(data), bytes, owner);
    ::tensorflow::Tensor out(type, shape, buffer);
    buffer->Unref();  // the tensor holds its own reference
    return out;
  }
  ::tensorflow::Tensor out(type, shape);
  std::memcpy(out.data(), data, bytes);
  return out;
}

inline ::tensorflow::Tensor string_tensor(const TensorColumn& column, const ::tensorflow::TensorShape& shape) {
  ::tensorflow::Tensor out(::tensorflow::DT_STRING, shape);
  auto flat = out.flat<::tensorflow::tstring>();
  for (std::int64_t i = 0; i < column.num_rows(); ++i) {
    std::string_view s = column.string(i);
    flat(i).assign(s.data(), s.size());
  }
  return out;
}

inline Ragged ragged_tensors(const TensorColumn& column, const std::shared_ptr<UniqueArray>& owner) {
  const std::int64_t rows = column.num_rows();
  Ragged out;
  out.values = elements_tensor(column, ::tensorflow::TensorShape({column.element_count()}), owner);
  out.row_splits = ::tensorflow::Tensor(::tensorflow::DT_INT64, ::tensorflow::TensorShape({rows + 1}));
  auto splits = out.row_splits.flat<std::int64_t>();
  for (std::int64_t i = 0; i <= rows; ++i) splits(i) = column.row_offset(i);
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
    TensorColumn column = TensorColumn::classify(batch.column(c), "TensorFlow");
    std::string name(column.name());
    out.names.push_back(name);
    switch (column.kind()) {
      case TensorColumn::Kind::strings: out.tensors.emplace(name, detail::string_tensor(column, scalar_shape)); break;
      case TensorColumn::Kind::ragged: out.ragged.emplace(name, detail::ragged_tensors(column, owner)); break;
      case TensorColumn::Kind::values: {
        ::tensorflow::TensorShape shape =
            column.scalar() ? scalar_shape : ::tensorflow::TensorShape({rows, column.width()});
        out.tensors.emplace(name, detail::elements_tensor(column, shape, owner));
        break;
      }
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
