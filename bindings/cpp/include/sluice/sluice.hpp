// sluice.hpp: a header-only C++17 layer over the C ABI in sluice.h.
//
// It adds ownership and errors, nothing else: every reading decision (which
// rows, in which order, the column policy of tensor mode) stays in the core.
//
//   sluice::Connector connector = sluice::Connector::open({"data/train"});
//   for (const sluice::Batch& batch :
//        connector.read(sluice::ReadOptions().batch_size(1024).shuffle(true).seed(7))) {
//     const int64_t* ids = batch.column("id").values<int64_t>();
//     ...
//   }
//
// Conventions:
//  - Every handle, and every Arrow struct the core hands out, has one move-only
//    owner here (Unique<T>); nothing leaks on any path, exceptions included.
//  - Every failure is a sluice::Error carrying the core's status and message:
//    failed calls, bad options (checked when they are set), and errors in the
//    middle of a stream (their status from sluice_stream_last_error, with the
//    stream's errno too).
//  - The library's ABI version is checked on the first call into it.
//  - Read options keep the names of the Python keyword arguments (docs/options.md).
//  - Thread rules are sluice.h's: a const Connector may be shared between
//    threads; a Reader is used by one thread at a time. As with any RAII type,
//    destroying, moving from or assigning to a Connector while another thread
//    is still calling it is the caller's bug (a use-after-free): join or
//    otherwise finish those calls first. Readers already returned are
//    independent of the Connector and may outlive it.
#ifndef SLUICE_SLUICE_HPP
#define SLUICE_SLUICE_HPP

#include <sluice.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <locale>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sluice {

// --- errors --------------------------------------------------------------------

/// The name of a status ("INVALID_DATA" for SLUICE_INVALID_DATA), or nullptr for a
/// value this header does not know (a newer library). tests/cpp compares it with sluice.h.
inline const char* status_name(sluice_status status) noexcept {
  switch (status) {
    case SLUICE_OK: return "OK";
    case SLUICE_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case SLUICE_NOT_FOUND: return "NOT_FOUND";
    case SLUICE_IO: return "IO";
    case SLUICE_INVALID_DATA: return "INVALID_DATA";
    case SLUICE_SCHEMA_MISMATCH: return "SCHEMA_MISMATCH";
    case SLUICE_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case SLUICE_UNSUPPORTED: return "UNSUPPORTED";
    case SLUICE_PANIC: return "PANIC";
    case SLUICE_INTERNAL: return "INTERNAL";
  }
  return nullptr;
}

/// The one exception type of this binding: the core's status and message.
class Error : public std::runtime_error {
 public:
  Error(sluice_status status, const std::string& message, int stream_errno = 0)
      : std::runtime_error(message), status_(status), stream_errno_(stream_errno) {}

  /// The core's status (SLUICE_INVALID_ARGUMENT, SLUICE_NOT_FOUND, ...).
  sluice_status status() const noexcept { return status_; }
  /// For an error reported by a stream callback: its errno value; 0 otherwise.
  int stream_errno() const noexcept { return stream_errno_; }

 private:
  sluice_status status_;
  int stream_errno_;
};

namespace detail {

/// Throws the core's error for a failed call; frees `error` on every path.
/// `error` is taken by reference: `check(f(&error), error)` must read it after
/// f has written it, whatever order the arguments are evaluated in.
inline void check(sluice_status status, sluice_error*& error) {
  if (status == SLUICE_OK) return;
  std::string message = error != nullptr ? sluice_error_message(error) : "";
  sluice_error_free(error);
  if (message.empty()) {
    message = "sluice: a call failed with status " + std::to_string(static_cast<int>(status));
  }
  throw Error(status, message);
}

/// The ABI check: the library must have the ABI this header was written for.
inline void require_abi(std::uint32_t library_abi) {
  if (library_abi != SLUICE_ABI_VERSION) {
    throw Error(SLUICE_UNSUPPORTED, "sluice: the library has ABI version " + std::to_string(library_abi) +
                                        ", this header was built for " + std::to_string(SLUICE_ABI_VERSION) +
                                        "; use the header and the library of one sluice release");
  }
}

/// Checks the library's ABI the first time this binding calls into it (as the
/// Python and Java bindings do when they load it); throws on every call until it
/// matches.
inline void check_abi_once() {
  static const bool checked = (require_abi(sluice_abi_version()), true);
  (void)checked;
}

inline void release_struct(ArrowSchema* s) noexcept {
  if (s->release != nullptr) s->release(s);
}
inline void release_struct(ArrowArray* a) noexcept {
  if (a->release != nullptr) a->release(a);
}
inline void release_struct(ArrowArrayStream* s) noexcept {
  if (s->release != nullptr) s->release(s);
}

/// A JSON array of strings: the list form every list-valued option accepts
/// (names may then contain commas).
inline std::string json_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            static const char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[(c >> 4) & 0xF];
            out += hex[c & 0xF];
          } else {
            out += c;
          }
      }
    }
    out += '"';
  }
  return out + "]";
}

/// A number as the shortest text that reads back exactly, independent of the locale.
inline std::string number_text(double value) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out.precision(17);
  out << value;
  return out.str();
}

}  // namespace detail

// --- owners of Arrow C structs ---------------------------------------------------

/// Move-only owner of one Arrow C struct (ArrowSchema, ArrowArray or
/// ArrowArrayStream): calls its release callback exactly once.
template <typename T>
class Unique {
 public:
  Unique() noexcept { std::memset(&raw_, 0, sizeof raw_); }
  /// Takes over `*moved_from` and marks it released.
  explicit Unique(T* moved_from) noexcept : raw_(*moved_from) { moved_from->release = nullptr; }
  Unique(Unique&& other) noexcept : raw_(other.raw_) { other.raw_.release = nullptr; }
  Unique& operator=(Unique&& other) noexcept {
    if (this != &other) {
      reset();
      raw_ = other.raw_;
      other.raw_.release = nullptr;
    }
    return *this;
  }
  Unique(const Unique&) = delete;
  Unique& operator=(const Unique&) = delete;
  ~Unique() { reset(); }

  T* get() noexcept { return &raw_; }
  const T* get() const noexcept { return &raw_; }
  T* operator->() noexcept { return &raw_; }
  const T* operator->() const noexcept { return &raw_; }
  bool valid() const noexcept { return raw_.release != nullptr; }

  /// Releases what is held (if anything) and returns the empty struct to fill.
  T* reset() noexcept {
    detail::release_struct(&raw_);
    std::memset(&raw_, 0, sizeof raw_);
    return &raw_;
  }
  /// Moves the struct out into `*out`, which must be released or empty; this owner is then empty.
  void move_to(T* out) noexcept {
    *out = raw_;
    raw_.release = nullptr;
  }

 private:
  T raw_;
};

using UniqueSchema = Unique<ArrowSchema>;
using UniqueArray = Unique<ArrowArray>;
using UniqueStream = Unique<ArrowArrayStream>;

// --- options ------------------------------------------------------------------

namespace detail {

struct ReadOptionsDeleter {
  void operator()(sluice_read_options* o) const noexcept { sluice_read_options_free(o); }
};
struct SourceOptionsDeleter {
  void operator()(sluice_source_options* o) const noexcept { sluice_source_options_free(o); }
};

/// Options handle + the key/value pairs set on it (so they can be copied and inspected).
template <typename Handle, typename Deleter, Handle* (*New)(),
          sluice_status (*Set)(Handle*, const char*, const char*, sluice_error**)>
class OptionsBase {
 public:
  OptionsBase() : handle_((check_abi_once(), New())) {
    if (!handle_) throw std::bad_alloc();
  }
  OptionsBase(const OptionsBase& other) : OptionsBase() {
    for (const auto& [key, value] : other.values_) apply(key, value);
  }
  OptionsBase& operator=(const OptionsBase& other) {
    if (this != &other) {
      OptionsBase copy(other);
      *this = std::move(copy);
    }
    return *this;
  }
  OptionsBase(OptionsBase&&) noexcept = default;
  OptionsBase& operator=(OptionsBase&&) noexcept = default;
  ~OptionsBase() = default;

  /// Whether `key` was set.
  bool has(std::string_view key) const { return values_.find(std::string(key)) != values_.end(); }
  /// Every key set so far, with its value as the core received it.
  const std::map<std::string, std::string>& values() const noexcept { return values_; }
  const Handle* get() const noexcept { return handle_.get(); }

 protected:
  /// Sets one option; the core validates it now (Error naming the option).
  void apply(const std::string& key, const std::string& value) {
    sluice_error* error = nullptr;
    check(Set(handle_.get(), key.c_str(), value.c_str(), &error), error);
    values_[key] = value;
  }

 private:
  std::unique_ptr<Handle, Deleter> handle_;
  std::map<std::string, std::string> values_;
};

}  // namespace detail

/// Source options (docs/options.md, "Source options"): format, CSV settings,
/// object store settings. Set any of them by name with set().
class SourceOptions : public detail::OptionsBase<sluice_source_options, detail::SourceOptionsDeleter,
                                                 &sluice_source_options_new, &sluice_source_options_set> {
 public:
  SourceOptions& set(const std::string& key, const std::string& value) {
    apply(key, value);
    return *this;
  }
  SourceOptions& format(const std::string& value) { return set("format", value); }
};

/// Read options, a builder whose method names are the Python keyword arguments
/// (docs/options.md). Each value is checked by the core when it is set: an
/// unknown option or a bad value throws an Error naming it.
class ReadOptions : public detail::OptionsBase<sluice_read_options, detail::ReadOptionsDeleter,
                                               &sluice_read_options_new, &sluice_read_options_set> {
 public:
  /// Any option by name, with the value as docs/options.md spells it.
  ReadOptions& set(const std::string& key, const std::string& value) {
    apply(key, value);
    return *this;
  }

  ReadOptions& batch_size(std::uint64_t rows) { return set("batch_size", std::to_string(rows)); }
  ReadOptions& columns(const std::vector<std::string>& names) { return set("columns", detail::json_list(names)); }
  ReadOptions& shuffle(bool on = true) { return flag("shuffle", on); }
  ReadOptions& seed(std::uint64_t seed) { return set("seed", std::to_string(seed)); }
  ReadOptions& epoch(std::uint64_t epoch) { return set("epoch", std::to_string(epoch)); }
  ReadOptions& num_shards(std::uint64_t n) { return set("num_shards", std::to_string(n)); }
  ReadOptions& shard_index(std::uint64_t i) { return set("shard_index", std::to_string(i)); }
  /// "off", "drop" or "pad".
  ReadOptions& equal_shards(const std::string& mode) { return set("equal_shards", mode); }
  ReadOptions& limit(std::uint64_t rows) { return set("limit", std::to_string(rows)); }
  ReadOptions& num_workers(std::uint64_t n) { return set("num_workers", std::to_string(n)); }
  ReadOptions& worker_index(std::uint64_t i) { return set("worker_index", std::to_string(i)); }
  /// Continue from a reader's position (Reader::position()); the other options must be the same.
  ReadOptions& resume_from(const std::string& token) { return set("resume_from", token); }
  ReadOptions& worker_interleave(std::uint64_t rows) { return set("worker_interleave", std::to_string(rows)); }
  /// Packed mode: these columns become one fixed_size_list<float32> column "features".
  ReadOptions& features(const std::vector<std::string>& names) { return set("features", detail::json_list(names)); }
  ReadOptions& label(const std::string& name) { return set("label", name); }
  /// Tensor mode: the core applies the column policy (docs/design.md).
  ReadOptions& tensors(bool on = true) { return flag("tensors", on); }
  ReadOptions& null_fill(double value) { return set("null_fill", detail::number_text(value)); }
  ReadOptions& null_mask(const std::vector<std::string>& names) { return set("null_mask", detail::json_list(names)); }
  /// "pad" or "values_offsets".
  ReadOptions& ragged(const std::string& mode) { return set("ragged", mode); }
  ReadOptions& pad_length(std::uint64_t n) { return set("pad_length", std::to_string(n)); }
  ReadOptions& pad_value(double value) { return set("pad_value", detail::number_text(value)); }
  /// "float64" or "scaled_int64".
  ReadOptions& decimal(const std::string& mode) { return set("decimal", mode); }
  /// "values" (the default: decoded) or "codes" (meaningful only within a batch).
  ReadOptions& dictionary(const std::string& mode) { return set("dictionary", mode); }
  ReadOptions& memory_budget(std::uint64_t bytes) { return set("memory_budget", std::to_string(bytes)); }
  /// A size with a suffix, e.g. "512MiB".
  ReadOptions& memory_budget(const std::string& size) { return set("memory_budget", size); }
  /// Fragments read concurrently (0: twice the cores); not a thread count.
  ReadOptions& fragments_in_flight(std::uint64_t n) { return set("fragments_in_flight", std::to_string(n)); }
  /// The former name of fragments_in_flight(), kept for existing callers.
  ReadOptions& threads(std::uint64_t n) { return fragments_in_flight(n); }
  ReadOptions& drop_last_batch(bool on = true) { return flag("drop_last_batch", on); }
  ReadOptions& shuffle_window(std::uint64_t rows) { return set("shuffle_window", std::to_string(rows)); }

 private:
  ReadOptions& flag(const std::string& key, bool on) { return set(key, on ? "true" : "false"); }
};

// --- columns and batches --------------------------------------------------------

namespace detail {
/// The Arrow format string of a C++ value type (for Column::values<T>()).
// clang-format off: one type per line reads best here
template <typename T>
constexpr const char* format_of() {
  if constexpr (std::is_same_v<T, std::int8_t>)
    return "c";
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return "C";
  else if constexpr (std::is_same_v<T, std::int16_t>)
    return "s";
  else if constexpr (std::is_same_v<T, std::uint16_t>)
    return "S";  // also float16 ("e") bits
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return "i";
  else if constexpr (std::is_same_v<T, std::uint32_t>)
    return "I";
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return "l";
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return "L";
  else if constexpr (std::is_same_v<T, float>)
    return "f";
  else if constexpr (std::is_same_v<T, double>)
    return "g";
  else
    static_assert(sizeof(T) == 0, "values<T>(): T must be a fixed-width Arrow value type");
}
// clang-format on
}  // namespace detail

/// A borrowed view of one column of a batch (or a child or dictionary of one):
/// valid while the Batch it came from, or a copy of its array(), is alive.
class Column {
 public:
  Column(const ArrowSchema* schema, const ArrowArray* array) noexcept : schema_(schema), array_(array) {}

  std::string_view name() const noexcept { return schema_->name != nullptr ? schema_->name : ""; }
  /// The Arrow C format string ("l" int64, "f" float32, "u" utf8, "+w:4" fixed_size_list ...).
  std::string_view format() const noexcept { return schema_->format; }
  std::int64_t length() const noexcept { return array_->length; }
  std::int64_t null_count() const noexcept { return array_->null_count; }
  std::int64_t offset() const noexcept { return array_->offset; }
  bool is_dictionary() const noexcept { return schema_->dictionary != nullptr; }

  /// The value buffer of a fixed-width column, offset applied. Throws if T does not match the type.
  template <typename T>
  const T* values() const {
    const char* want = detail::format_of<T>();
    bool same = format() == want || (std::is_same_v<T, std::uint16_t> && format() == "e");
    if (!same) {
      throw Error(SLUICE_INVALID_ARGUMENT, "sluice: column '" + std::string(name()) + "' has Arrow format '" +
                                               std::string(format()) + "', not '" + want + "'");
    }
    return static_cast<const T*>(array_->buffers[1]) + array_->offset;
  }
  /// Whether row i is null (false when the column has no validity bitmap).
  bool is_null(std::int64_t i) const noexcept {
    const auto* bits = static_cast<const std::uint8_t*>(array_->buffers[0]);
    if (array_->null_count == 0 || bits == nullptr) return false;
    std::int64_t j = i + array_->offset;
    return ((bits[j >> 3] >> (j & 7)) & 1) == 0;
  }
  /// Row i of a bool column ("b").
  bool boolean(std::int64_t i) const {
    expect_format("b", "bool");
    const auto* bits = static_cast<const std::uint8_t*>(array_->buffers[1]);
    std::int64_t j = i + array_->offset;
    return ((bits[j >> 3] >> (j & 7)) & 1) != 0;
  }
  /// Row i of a utf8/binary column ("u", "z", or the large "U", "Z").
  std::string_view string(std::int64_t i) const {
    std::string_view f = format();
    bool small = f == "u" || f == "z", large = f == "U" || f == "Z";
    if (!small && !large) {
      throw Error(SLUICE_INVALID_ARGUMENT, "sluice: column '" + std::string(name()) + "' has Arrow format '" +
                                               std::string(f) + "', not a string or binary type");
    }
    const char* data = static_cast<const char*>(array_->buffers[2]);
    std::int64_t j = i + array_->offset;
    if (small) {
      const auto* offsets = static_cast<const std::int32_t*>(array_->buffers[1]);
      return {data + offsets[j], static_cast<std::size_t>(offsets[j + 1] - offsets[j])};
    }
    const auto* offsets = static_cast<const std::int64_t*>(array_->buffers[1]);
    return {data + offsets[j], static_cast<std::size_t>(offsets[j + 1] - offsets[j])};
  }
  /// k of a fixed_size_list<T>[k] column ("+w:k"); 0 for any other type.
  std::int64_t list_size() const noexcept {
    std::string_view f = format();
    if (f.substr(0, 3) != "+w:") return 0;
    return std::strtoll(schema_->format + 3, nullptr, 10);
  }
  /// Where row `i` of a list ("+l") or large list ("+L") column starts in its
  /// child, counting this column's offset; list_offset(length()) is the end.
  std::int64_t list_offset(std::int64_t i) const {
    std::string_view f = format();
    if (f != "+l" && f != "+L") {
      throw Error(SLUICE_INVALID_ARGUMENT,
                  "sluice: column '" + std::string(name()) + "' has Arrow format '" + std::string(f) + "', not a list");
    }
    std::int64_t j = array_->offset + i;
    return f == "+L" ? static_cast<const std::int64_t*>(array_->buffers[1])[j]
                     : static_cast<const std::int32_t*>(array_->buffers[1])[j];
  }
  std::int64_t num_children() const noexcept { return schema_->n_children; }
  /// A child (the values of a list); its rows are not sliced by this column's offset.
  Column child(std::int64_t i) const {
    if (i < 0 || i >= schema_->n_children) {
      throw Error(SLUICE_INVALID_ARGUMENT,
                  "sluice: column '" + std::string(name()) + "' has no child " + std::to_string(i));
    }
    return Column(schema_->children[i], array_->children[i]);
  }
  /// The dictionary (values) of a dictionary column; this column's buffers are the codes.
  Column dictionary() const {
    if (!is_dictionary()) {
      throw Error(SLUICE_INVALID_ARGUMENT, "sluice: column '" + std::string(name()) + "' is not a dictionary");
    }
    return Column(schema_->dictionary, array_->dictionary);
  }
  /// The field's metadata value for `key` (e.g. "sluice.logical_type"), if present.
  std::optional<std::string> metadata(std::string_view key) const {
    const char* p = schema_->metadata;
    if (p == nullptr) return std::nullopt;
    auto read_i32 = [&p] {
      std::int32_t v;
      std::memcpy(&v, p, sizeof v);
      p += sizeof v;
      return v;
    };
    std::int32_t n = read_i32();
    for (std::int32_t k = 0; k < n; ++k) {
      std::int32_t key_len = read_i32();
      std::string_view this_key(p, static_cast<std::size_t>(key_len));
      p += key_len;
      std::int32_t value_len = read_i32();
      std::string_view value(p, static_cast<std::size_t>(value_len));
      p += value_len;
      if (this_key == key) return std::string(value);
    }
    return std::nullopt;
  }

  const ArrowSchema* schema() const noexcept { return schema_; }
  const ArrowArray* array() const noexcept { return array_; }

 private:
  void expect_format(std::string_view f, const char* what) const {
    if (format() != f) {
      throw Error(SLUICE_INVALID_ARGUMENT, "sluice: column '" + std::string(name()) + "' has Arrow format '" +
                                               std::string(format()) + "', not " + what);
    }
  }

  const ArrowSchema* schema_;
  const ArrowArray* array_;
};

/// One batch: a struct array of columns with the reader's schema. Copies share
/// the same Arrow array (released when the last copy goes), so consumers that
/// wrap buffers without copying keep `array()` alive as long as they need.
class Batch {
 public:
  Batch(std::shared_ptr<const UniqueSchema> schema, std::shared_ptr<UniqueArray> array)
      : schema_(std::move(schema)), array_(std::move(array)) {
    if ((*array_)->offset != 0 || (*array_)->n_children != (*schema_)->n_children) {
      throw Error(SLUICE_INTERNAL, "sluice: a batch does not match its schema (offset or column count)");
    }
  }

  std::int64_t num_rows() const noexcept { return (*array_)->length; }
  std::int64_t num_columns() const noexcept { return (*array_)->n_children; }
  Column column(std::int64_t i) const {
    if (i < 0 || i >= num_columns()) {
      throw Error(SLUICE_INVALID_ARGUMENT, "sluice: batch has no column " + std::to_string(i) + " (it has " +
                                               std::to_string(num_columns()) + ")");
    }
    return Column((*schema_)->children[i], (*array_)->children[i]);
  }
  /// The column named `name`; an Error naming it (and the columns there are) if absent.
  Column column(std::string_view name) const {
    for (std::int64_t i = 0; i < num_columns(); ++i) {
      if (column(i).name() == name) return column(i);
    }
    std::string known;
    for (std::int64_t i = 0; i < num_columns(); ++i) known += (i ? ", " : "") + std::string(column(i).name());
    throw Error(SLUICE_INVALID_ARGUMENT,
                "sluice: batch has no column '" + std::string(name) + "' (columns: " + known + ")");
  }
  std::vector<std::string> column_names() const {
    std::vector<std::string> names;
    for (std::int64_t i = 0; i < num_columns(); ++i) names.emplace_back(column(i).name());
    return names;
  }

  /// Shared owners of the batch's Arrow array and of the reader's schema.
  const std::shared_ptr<UniqueArray>& array() const noexcept { return array_; }
  const std::shared_ptr<const UniqueSchema>& schema() const noexcept { return schema_; }

 private:
  std::shared_ptr<const UniqueSchema> schema_;
  std::shared_ptr<UniqueArray> array_;
};

// --- tensor-mode columns ----------------------------------------------------------

/// The element type of a fixed-width or bool Arrow array.
enum class ElementType { boolean, int8, uint8, int16, uint16, int32, uint32, int64, uint64, float16, float32, float64 };

/// The element type of an Arrow format string ("l" int64, "b" bool ...), or nothing.
inline std::optional<ElementType> element_type(std::string_view format) noexcept {
  if (format.size() != 1) return std::nullopt;
  switch (format[0]) {
    case 'b': return ElementType::boolean;
    case 'c': return ElementType::int8;
    case 'C': return ElementType::uint8;
    case 's': return ElementType::int16;
    case 'S': return ElementType::uint16;
    case 'i': return ElementType::int32;
    case 'I': return ElementType::uint32;
    case 'l': return ElementType::int64;
    case 'L': return ElementType::uint64;
    case 'e': return ElementType::float16;
    case 'f': return ElementType::float32;
    case 'g': return ElementType::float64;
    default: return std::nullopt;
  }
}

/// Bytes per element; 0 for bool, which Arrow packs into bits.
inline std::size_t element_size(ElementType type) noexcept {
  switch (type) {
    case ElementType::boolean: return 0;
    case ElementType::int8:
    case ElementType::uint8: return 1;
    case ElementType::int16:
    case ElementType::uint16:
    case ElementType::float16: return 2;
    case ElementType::int32:
    case ElementType::uint32:
    case ElementType::float32: return 4;
    case ElementType::int64:
    case ElementType::uint64:
    case ElementType::float64: return 8;
  }
  return 0;
}

/// One column of a tensor-mode batch (tensors=true), classified once for every
/// framework adapter (sluice/torch.hpp, sluice/tensorflow.hpp): each adapter only
/// builds its own tensor type from what this says. Valid while the column's batch is.
class TensorColumn {
 public:
  enum class Kind {
    values,   ///< fixed-width or bool elements, width() per row: int8..uint64, float16/32/64,
              ///< bool, a dictionary's codes (width 1), fixed_size_list<T>[k] (width k)
    strings,  ///< utf8, large_utf8, binary, large_binary: string(i) per row
    ragged,   ///< list / large_list<T> (ragged=values_offsets): the elements, and row_offset(i)
  };

  /// Classifies `column`. An Error names the column for nulls (the core fills or
  /// masks them in tensor mode only when asked) and for a type no tensor can hold;
  /// `adapter` ("libtorch", "TensorFlow") is named in those messages.
  static TensorColumn classify(const Column& column, std::string_view adapter) {
    TensorColumn out(column, adapter);
    out.require_no_nulls(column);
    std::string_view format = column.format();
    if (format == "u" || format == "U" || format == "z" || format == "Z") {
      out.kind_ = Kind::strings;
    } else if (std::int64_t k = column.list_size(); k > 0) {
      out.set_child_elements(column.offset() * k, column.length() * k);
      out.width_ = k;
    } else if (format == "+l" || format == "+L") {
      out.kind_ = Kind::ragged;
      out.set_child_elements(column.list_offset(0), column.list_offset(column.length()) - column.list_offset(0));
    } else {
      out.set_elements(column, 0, column.length());  // a scalar, or a dictionary's codes
    }
    return out;
  }

  Kind kind() const noexcept { return kind_; }
  const Column& column() const noexcept { return column_; }
  std::string_view name() const noexcept { return column_.name(); }
  std::int64_t num_rows() const noexcept { return column_.length(); }

  /// values and ragged: the elements' type, and how many elements there are in all.
  ElementType element_type() const noexcept { return type_; }
  std::int64_t element_count() const noexcept { return count_; }
  /// values: elements per row (1, or k of a fixed_size_list<T>[k]).
  std::int64_t width() const noexcept { return width_; }
  /// values: one element per row, not a list (adapters shape it (rows, 1), or (rows,) to squeeze).
  bool scalar() const noexcept { return kind_ == Kind::values && column_.list_size() == 0; }
  /// values and ragged, not bool: the first element, to wrap without a copy.
  const void* element_data() const noexcept {
    return static_cast<const char*>(elements_.array()->buffers[1]) +
           first_ * static_cast<std::int64_t>(element_size(type_));
  }
  /// values and ragged, bool: the element_count() elements unpacked from Arrow's bits.
  void unpack_booleans(bool* out) const noexcept {
    const auto* bits = static_cast<const std::uint8_t*>(elements_.array()->buffers[1]);
    for (std::int64_t i = 0; i < count_; ++i) {
      std::int64_t j = first_ + i;
      out[i] = ((bits[j >> 3] >> (j & 7)) & 1) != 0;
    }
  }

  /// ragged: where row i starts among the elements; row_offset(num_rows()) == element_count().
  std::int64_t row_offset(std::int64_t i) const { return column_.list_offset(i) - column_.list_offset(0); }
  /// ragged: the list's own offsets buffer from row 0 (num_rows() + 1 entries, int64 when
  /// large_offsets(), else int32), to wrap without a copy; subtract offsets_base() to start at 0.
  const void* offsets_data() const noexcept {
    return static_cast<const char*>(column_.array()->buffers[1]) + column_.offset() * (large_offsets() ? 8 : 4);
  }
  bool large_offsets() const noexcept { return column_.format() == "+L"; }
  std::int64_t offsets_base() const { return column_.list_offset(0); }

  /// strings: row i.
  std::string_view string(std::int64_t i) const { return column_.string(i); }

  /// An Error naming this column, for what the adapter cannot map.
  Error error(const std::string& what) const {
    return Error(SLUICE_INVALID_ARGUMENT, "sluice: column '" + std::string(name()) + "' " + what + "; " + adapter_ +
                                              " tensors are made from tensor-mode reads (tensors=true, which apply "
                                              "the column policy in the core)");
  }

 private:
  TensorColumn(const Column& column, std::string_view adapter)
      : column_(column), elements_(column), adapter_(adapter) {}

  void require_no_nulls(const Column& column) const {
    if (column.null_count() != 0) throw error("has " + std::to_string(column.null_count()) + " null value(s)");
  }
  /// `count` elements of `elements` from element `first` (its own offset is added here).
  void set_elements(const Column& elements, std::int64_t first, std::int64_t count) {
    std::optional<ElementType> type = sluice::element_type(elements.format());
    if (!type) throw error("has Arrow format '" + std::string(elements.format()) + "'");
    elements_ = elements;
    type_ = *type;
    first_ = elements.offset() + first;
    count_ = count;
  }
  /// The elements of a list: its child, whose nulls the list's validity does not cover.
  void set_child_elements(std::int64_t first, std::int64_t count) {
    Column child = column_.child(0);
    require_no_nulls(child);
    set_elements(child, first, count);
  }

  Kind kind_ = Kind::values;
  Column column_;
  Column elements_;  ///< the array holding the elements: the column, or its child
  std::string adapter_;
  ElementType type_ = ElementType::boolean;
  std::int64_t first_ = 0;
  std::int64_t count_ = 0;
  std::int64_t width_ = 1;
};

// --- readers ------------------------------------------------------------------

/// A stream of batches from Connector::read(). Move-only; range-for gives
/// `const Batch&` in the core's order. An error mid-stream throws sluice::Error.
class Reader {
 public:
  explicit Reader(UniqueStream stream) : stream_(std::move(stream)) {
    auto schema = std::make_shared<UniqueSchema>();
    int code = stream_->get_schema(stream_.get(), schema->reset());
    if (code != 0) throw stream_error(code);
    schema_ = std::move(schema);
  }
  Reader(Reader&&) noexcept = default;
  Reader& operator=(Reader&&) noexcept = default;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  /// The schema every batch has.
  const ArrowSchema& schema() const noexcept { return *schema_->get(); }
  /// The next batch, or nothing at the end (and after it, again nothing).
  std::optional<Batch> next() {
    if (!stream_.valid()) return std::nullopt;
    auto array = std::make_shared<UniqueArray>();
    int code = stream_->get_next(stream_.get(), array->reset());
    if (code != 0) throw stream_error(code);
    if (!array->valid()) {
      end_position_ = position();  // kept: the stream is released now
      stream_.reset();             // the end: let go of the reader's resources now
      return std::nullopt;
    }
    return Batch(schema_, std::move(array));
  }
  /// The reader's position as a resume token (an opaque string; sluice_stream_position):
  /// after the batches next() gave, less `unconsumed_rows` of them the caller did not use.
  /// A read with the same options and the read option `resume_from` set to it gives
  /// exactly the batches this reader would give next.
  std::string position(std::uint64_t unconsumed_rows = 0) const {
    if (!stream_.valid()) {
      if (end_position_.empty()) throw Error(SLUICE_INVALID_ARGUMENT, "sluice: the reader's stream was given up");
      if (unconsumed_rows != 0)
        throw Error(SLUICE_INVALID_ARGUMENT, "sluice: the reader has ended; its position is its end");
      return end_position_;
    }
    char* token = nullptr;
    sluice_error* error = nullptr;
    detail::check(sluice_stream_position(stream_.get(), unconsumed_rows, &token, &error), error);
    std::string text(token);
    sluice_string_free(token);
    return text;
  }
  /// Gives up the underlying stream (e.g. to hand it to Arrow C++ or pyarrow).
  UniqueStream release_stream() noexcept { return std::move(stream_); }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = const Batch*;
    using reference = const Batch&;

    iterator() = default;
    explicit iterator(Reader* reader) : reader_(reader) { ++*this; }
    reference operator*() const { return *current_; }
    pointer operator->() const { return &*current_; }
    iterator& operator++() {
      current_ = reader_->next();
      if (!current_) reader_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const iterator& other) const noexcept { return reader_ == other.reader_; }
    bool operator!=(const iterator& other) const noexcept { return reader_ != other.reader_; }

   private:
    Reader* reader_ = nullptr;
    std::optional<Batch> current_;
  };
  iterator begin() { return iterator(this); }
  iterator end() noexcept { return iterator(); }

 private:
  /// The stream's last error with the core's status (sluice_stream_last_error).
  /// A stream some other library produced has only its errno and message: SLUICE_IO.
  Error stream_error(int code) {
    sluice_error* last = nullptr;
    sluice_error* failure = nullptr;
    if (sluice_stream_last_error(stream_.get(), &last, &failure) == SLUICE_OK && last != nullptr) {
      Error error(sluice_error_status(last), sluice_error_message(last), code);
      sluice_error_free(last);
      return error;
    }
    sluice_error_free(failure);
    const char* message = stream_->get_last_error != nullptr ? stream_->get_last_error(stream_.get()) : nullptr;
    std::string text = message != nullptr && *message != '\0'
                           ? std::string(message)
                           : "sluice: the stream failed with errno " + std::to_string(code);
    return Error(SLUICE_IO, text, code);
  }

  UniqueStream stream_;
  std::shared_ptr<const UniqueSchema> schema_;
  std::string end_position_;  ///< the position at the end, where the stream is released
};

/// A range over a Reader whose batches go through `Convert` (a callable
/// `Value(const Batch&)`): what the framework adapters return.
template <typename Value, typename Convert>
class ConvertingReader {
 public:
  ConvertingReader(Reader reader, Convert convert) : reader_(std::move(reader)), convert_(std::move(convert)) {}

  /// The next converted batch, or nothing at the end.
  std::optional<Value> next() {
    std::optional<Batch> batch = reader_.next();
    if (!batch) return std::nullopt;
    return convert_(*batch);
  }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Value;
    using difference_type = std::ptrdiff_t;
    using pointer = Value*;
    using reference = Value&;

    iterator() = default;
    explicit iterator(ConvertingReader* reader) : reader_(reader) { ++*this; }
    reference operator*() const { return *current_; }
    pointer operator->() const { return &*current_; }
    iterator& operator++() {
      current_.reset();  // let go of the previous batch's buffers first
      current_ = reader_->next();
      if (!current_) reader_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const iterator& other) const noexcept { return reader_ == other.reader_; }
    bool operator!=(const iterator& other) const noexcept { return reader_ != other.reader_; }

   private:
    ConvertingReader* reader_ = nullptr;
    mutable std::optional<Value> current_;
  };
  iterator begin() { return iterator(this); }
  iterator end() noexcept { return iterator(); }

 private:
  Reader reader_;
  Convert convert_;
};

// --- the connector --------------------------------------------------------------

/// Opened sources (paths, directories, globs, URIs). Move-only; a const
/// Connector may be used from several threads, but it must outlive every call
/// in flight on it: destroying it (or moving from it) while another thread
/// calls it is the caller's bug. Readers may outlive it.
class Connector {
 public:
  static Connector open(const std::vector<std::string>& sources, const SourceOptions& options = SourceOptions()) {
    detail::check_abi_once();
    std::vector<const char*> paths;
    paths.reserve(sources.size());
    for (const auto& s : sources) paths.push_back(s.c_str());
    sluice_connector* handle = nullptr;
    sluice_error* error = nullptr;
    detail::check(sluice_connector_open(paths.data(), paths.size(), options.get(), &handle, &error), error);
    return Connector(handle);
  }

  /// Runs `query` on a database through an ADBC driver (docs/sql.md); the result is the
  /// source. `driver`: postgresql, sqlite, snowflake, flightsql, duckdb, or a driver
  /// library's path. `sql_options`: partition_on, partitions, connect_timeout,
  /// driver_search_path, entrypoint; other keys go to the driver (username, password, adbc.*).
  static Connector from_sql(const std::string& driver, const std::string& uri, const std::string& query,
                            const std::map<std::string, std::string>& sql_options = {},
                            const SourceOptions& options = SourceOptions()) {
    detail::check_abi_once();
    std::vector<const char*> keys, values;
    for (const auto& [key, value] : sql_options) {
      keys.push_back(key.c_str());
      values.push_back(value.c_str());
    }
    sluice_connector* handle = nullptr;
    sluice_error* error = nullptr;
    detail::check(sluice_connector_from_sql(driver.c_str(), uri.c_str(), query.c_str(), keys.data(), values.data(),
                                            keys.size(), nullptr, options.get(), &handle, &error),
                  error);
    return Connector(handle);
  }

  /// Version `version` of dataset `name` under `root` (a directory or an s3://, gs://,
  /// az:// URI; docs/datasets.md), as a connector over its files in the manifest's order,
  /// whose reads leave out the version's exclude_cols unless they name them. Every
  /// file's size is checked against the manifest; with `verify`, its SHA-256 too.
  static Connector open_dataset(const std::string& root, const std::string& name, const std::string& version,
                                bool verify = false, const SourceOptions& options = SourceOptions()) {
    detail::check_abi_once();
    sluice_connector* handle = nullptr;
    sluice_error* error = nullptr;
    detail::check(sluice_connector_open_dataset(root.c_str(), name.c_str(), version.c_str(), verify ? 1 : 0,
                                                options.get(), &handle, &error),
                  error);
    return Connector(handle);
  }

  /// The sources' schema.
  UniqueSchema schema() const {
    UniqueSchema out;
    sluice_error* error = nullptr;
    detail::check(sluice_connector_schema(handle_.get(), out.reset(), &error), error);
    return out;
  }
  /// Rows in all sources.
  std::uint64_t num_rows() const {
    std::uint64_t n = 0;
    sluice_error* error = nullptr;
    detail::check(sluice_connector_num_rows(handle_.get(), &n, &error), error);
    return n;
  }
  /// Rows a read with `options` would emit (after shards, workers, limit), from metadata only.
  std::uint64_t count_rows(const ReadOptions& options = ReadOptions()) const {
    std::uint64_t n = 0;
    sluice_error* error = nullptr;
    detail::check(sluice_connector_count_rows(handle_.get(), options.get(), &n, &error), error);
    return n;
  }
  /// A new reader: the core's Arrow stream, owned by the returned object.
  Reader read(const ReadOptions& options = ReadOptions()) const { return Reader(read_stream(options)); }
  /// The raw Arrow C stream, for Arrow consumers that import it themselves.
  UniqueStream read_stream(const ReadOptions& options = ReadOptions()) const {
    UniqueStream out;
    sluice_error* error = nullptr;
    detail::check(sluice_connector_read(handle_.get(), options.get(), out.reset(), &error), error);
    return out;
  }

  const sluice_connector* get() const noexcept { return handle_.get(); }

 private:
  struct Deleter {
    void operator()(sluice_connector* c) const noexcept { sluice_connector_free(c); }
  };
  explicit Connector(sluice_connector* handle) noexcept : handle_(handle) {}
  std::unique_ptr<sluice_connector, Deleter> handle_;
};

/// The library's version string, and a check that it matches this header's ABI.
inline std::string version() { return sluice_version(); }
/// Connector::open and the options check it once by themselves.
inline void check_abi() { detail::require_abi(sluice_abi_version()); }

}  // namespace sluice

#endif  // SLUICE_SLUICE_HPP
