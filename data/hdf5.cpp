#include "data/hdf5.hpp"

#include <H5PLpublic.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/regular_file.hpp"

namespace cagcl::data::h5 {
namespace {

// Debian's hdf5-filter-plugin installs here; HDF5 only searches its compiled-in default directory and
// HDF5_PLUGIN_PATH, which need not include it.
constexpr const char* kDebianPluginDir = "/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins";

bool plugin_path_listed(const std::string& dir) {
  unsigned n = 0;
  if (H5PLsize(&n) < 0) return false;
  for (unsigned i = 0; i < n; ++i) {
    ssize_t len = H5PLget(i, nullptr, 0);
    if (len <= 0) continue;
    std::string entry(static_cast<size_t>(len) + 1, '\0');
    H5PLget(i, entry.data(), entry.size());
    entry.resize(static_cast<size_t>(len));
    if (entry == dir) return true;
  }
  return false;
}

void register_plugin_dir() {
  std::error_code ec;
  if (std::filesystem::is_directory(kDebianPluginDir, ec) && !plugin_path_listed(kDebianPluginDir)) {
    H5PLappend(kDebianPluginDir);
  }
}

herr_t collect_error(unsigned n, const H5E_error2_t* err, void* out) {
  auto* text = static_cast<std::string*>(out);
  if (n > 0) *text += "; ";
  *text += err->desc ? err->desc : "?";
  if (err->func_name) *text += fmt::format(" ({})", err->func_name);
  return 0;
}

std::string with_stack(const Where& where, const std::string& what) {
  std::string stack = error_stack();
  std::string msg = fmt::format("{}: {}", where.prefix(), what);
  if (!stack.empty()) msg += fmt::format(" [HDF5: {}]", stack);
  return msg;
}

// Raises a DataError when an HDF5 call failed; the stack is captured before any other HDF5 call clears it.
template <class R>
R check(R result, const Where& where, const std::string& what) {
  if (result < 0) fail_data(where, what);
  return result;
}

Handle checked_handle(hid_t id, Handle::Closer closer, const Where& where, const std::string& what) {
  if (id < 0) fail_data(where, what);
  return Handle(id, closer);
}

Handle simple_space(const Dims& dims) {
  if (dims.empty()) return Handle(H5Screate(H5S_SCALAR), H5Sclose);
  return Handle(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
}

uint64_t element_count(const Dims& dims) {
  uint64_t n = 1;
  for (hsize_t d : dims) n *= d;
  return n;
}

// Shape of a dataspace, bounded before anything is allocated from it.
Dims checked_space_shape(hid_t space, const Where& where, int rank, uint64_t max_elements) {
  int actual = check(H5Sget_simple_extent_ndims(space), where, "cannot read dataspace");
  if (actual != rank) fail_data(where, fmt::format("expected rank {}, found rank {}", rank, actual));
  Dims dims(static_cast<size_t>(rank));
  if (rank > 0) check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), where, "cannot read dataspace");
  uint64_t n = 1;
  for (hsize_t d : dims) {
    if (d != 0 && n > max_elements / d) {
      fail_data(where, fmt::format("shape exceeds the limit of {} elements", max_elements));
    }
    n *= d;
  }
  if (n > max_elements) {
    fail_data(where, fmt::format("shape of {} elements exceeds the limit of {} elements", n, max_elements));
  }
  return dims;
}

void check_dtype(hid_t type, const Where& where, Dtype expected) {
  Dtype found = classify(type);
  if (found != expected) {
    fail_data(where, fmt::format("expected {}, found {}", to_string(expected), to_string(found)));
  }
}

std::string dims_text(const Dims& dims) { return fmt::format("[{}]", fmt::join(dims, ",")); }

// Strings are fixed-length and NUL-padded: `width` bytes each, packed. Variable-length strings would live in the
// file's global heap, which libhdf5 1.10 reads without checking the sizes it finds there (fuzzing crashed it in
// H5HG_read); fixed-length ones are plain bytes inside the dataset or attribute, bounded like any other.
size_t string_width(const std::vector<std::string>& v) {
  size_t width = 1;  // HDF5 has no zero-size string type
  for (const auto& s : v) width = std::max(width, s.size());
  return width;
}

std::vector<char> packed(const std::vector<std::string>& v, size_t width) {
  std::vector<char> out(v.size() * width, '\0');
  for (size_t i = 0; i < v.size(); ++i) std::copy(v[i].begin(), v[i].end(), out.begin() + i * width);
  return out;
}

std::vector<std::string> unpacked(const std::vector<char>& bytes, size_t width) {
  std::vector<std::string> out;
  out.reserve(bytes.size() / width);
  for (size_t at = 0; at < bytes.size(); at += width) {
    const char* p = bytes.data() + at;
    out.emplace_back(p, std::find(p, p + width, '\0') - p);
  }
  return out;
}

Handle object_creation_plist(hid_t cls) {
  Handle p(H5Pcreate(cls), H5Pclose);
  H5Pset_obj_track_times(p, 0);
  return p;
}

// Attributes are named "OBJECT@NAME" in messages ("/@schema_version", "samples/000003@name").
Where attr_where(const Where& where, const std::string& name) {
  return {where.file, (where.member.empty() ? "/" : where.member) + "@" + name};
}

Handle open_attr(hid_t obj, const std::string& name, const Where& where) {
  if (H5Aexists(obj, name.c_str()) <= 0) fail_data(attr_where(where, name), "missing attribute");
  return checked_handle(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, attr_where(where, name),
                        "cannot open attribute");
}

Handle create_attr(hid_t obj, const std::string& name, const Where& where, hid_t type, const Dims& dims) {
  Handle space = simple_space(dims);
  return checked_handle(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                        attr_where(where, name), "cannot create attribute");
}

}  // namespace

void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5open();
    register_plugin_dir();
  });
  thread_local bool silenced = false;
  if (!silenced) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
  }
}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
    closer_ = std::exchange(other.closer_, nullptr);
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && closer_) closer_(id_);
  id_ = H5I_INVALID_HID;
}

void Handle::close(const std::string& file, const std::string& member) {
  hid_t id = std::exchange(id_, H5I_INVALID_HID);
  if (id >= 0 && closer_ && closer_(id) < 0) fail_io({file, member}, "close failed");
}

Where Where::child(const std::string& name) const { return {file, member.empty() ? name : member + "/" + name}; }

std::string Where::prefix() const { return member.empty() ? file : fmt::format("{}: member '{}'", file, member); }

std::string error_stack() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &text);
  return text;
}

void fail_data(const Where& where, const std::string& what) { throw DataError(with_stack(where, what)); }
void fail_io(const Where& where, const std::string& what) { throw IoError(with_stack(where, what)); }

std::string to_string(Dtype d) {
  switch (d) {
    case Dtype::i8: return "int8";
    case Dtype::u8: return "uint8";
    case Dtype::i16: return "int16";
    case Dtype::u16: return "uint16";
    case Dtype::i32: return "int32";
    case Dtype::u32: return "uint32";
    case Dtype::i64: return "int64";
    case Dtype::u64: return "uint64";
    case Dtype::f32: return "float32";
    case Dtype::f64: return "float64";
    case Dtype::string: return "string";
    case Dtype::vlen_string: return "variable-length string";
    case Dtype::other: break;
  }
  return "another type";
}

hid_t native_type(Dtype d) {
  switch (d) {
    case Dtype::i8: return H5T_NATIVE_INT8;
    case Dtype::u8: return H5T_NATIVE_UINT8;
    case Dtype::i16: return H5T_NATIVE_INT16;
    case Dtype::u16: return H5T_NATIVE_UINT16;
    case Dtype::i32: return H5T_NATIVE_INT32;
    case Dtype::u32: return H5T_NATIVE_UINT32;
    case Dtype::i64: return H5T_NATIVE_INT64;
    case Dtype::u64: return H5T_NATIVE_UINT64;
    case Dtype::f32: return H5T_NATIVE_FLOAT;
    case Dtype::f64: return H5T_NATIVE_DOUBLE;
    default: break;
  }
  throw UsageError("h5::native_type: no native type for " + to_string(d));
}

Dtype classify(hid_t type) {
  const size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      switch (size) {
        case 1: return is_signed ? Dtype::i8 : Dtype::u8;
        case 2: return is_signed ? Dtype::i16 : Dtype::u16;
        case 4: return is_signed ? Dtype::i32 : Dtype::u32;
        case 8: return is_signed ? Dtype::i64 : Dtype::u64;
        default: return Dtype::other;
      }
    }
    case H5T_FLOAT: return size == 4 ? Dtype::f32 : size == 8 ? Dtype::f64 : Dtype::other;
    case H5T_STRING: return H5Tis_variable_str(type) > 0 ? Dtype::vlen_string : Dtype::string;
    default: return Dtype::other;
  }
}

Handle fixed_string_type(size_t width, H5T_cset_t cset) {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  if (H5Tset_size(t, width) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0 || H5Tset_cset(t, cset) < 0) {
    throw DataError(fmt::format("HDF5: cannot make a string type of {} bytes [HDF5: {}]", width, error_stack()));
  }
  return t;
}

Handle create_file(const std::filesystem::path& path) {
  init();
  Handle fcpl = object_creation_plist(H5P_FILE_CREATE);
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  if (id < 0) fail_io({path.string(), ""}, "cannot create HDF5 file");
  return Handle(id, H5Fclose);
}

Handle open_file_readonly(const std::filesystem::path& path) {
  init();
  require_regular_file(path);  // the same check as every other reader of outside files
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) fail_data({path.string(), ""}, "not a readable HDF5 file (truncated or corrupt?)");
  return Handle(id, H5Fclose);
}

Handle create_group(hid_t parent, const std::string& name, const Where& where) {
  Handle gcpl = object_creation_plist(H5P_GROUP_CREATE);
  return checked_handle(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose, where.child(name),
                        "cannot create group");
}

bool exists(hid_t parent, const std::string& name) { return H5Lexists(parent, name.c_str(), H5P_DEFAULT) > 0; }

Handle open_group(hid_t parent, const std::string& name, const Where& where) {
  Where w = where.child(name);
  if (!exists(parent, name)) fail_data(w, "missing group");
  return checked_handle(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose, w, "cannot open group");
}

Handle dataset_creation_plist() { return object_creation_plist(H5P_DATASET_CREATE); }

Handle open_dataset(hid_t parent, const std::string& name, const Where& where) {
  Where w = where.child(name);
  if (!exists(parent, name)) fail_data(w, "missing member");
  return checked_handle(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, w, "cannot open dataset");
}

Dims checked_shape(hid_t dset, const Where& where, Dtype expected, int rank, uint64_t max_elements) {
  Handle type(check(H5Dget_type(dset), where, "cannot read dtype"), H5Tclose);
  check_dtype(type, where, expected);
  Handle space(check(H5Dget_space(dset), where, "cannot read dataspace"), H5Sclose);
  return checked_space_shape(space, where, rank, max_elements);
}

template <class T>
void write_dataset(hid_t parent, const std::string& name, const Where& where, const Dims& dims, const T* data,
                   hid_t dcpl) {
  Where w = where.child(name);
  Handle own_dcpl;
  if (dcpl == H5P_DEFAULT) {
    own_dcpl = dataset_creation_plist();
    dcpl = own_dcpl;
  }
  Handle space = simple_space(dims);
  const hid_t type = native_type(dtype_of<T>());
  Handle dset = checked_handle(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
                               w, "cannot create dataset");
  if (element_count(dims) > 0) {
    check(H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), w, "write failed");
  }
}

namespace {

// Chunks a chunked dataset of `dims` has, and how many of them the file stores.
std::pair<uint64_t, uint64_t> chunk_counts(hid_t dset, hid_t dcpl, hid_t space, const Where& where, const Dims& dims) {
  Dims chunk(dims.size());
  if (H5Pget_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()) != static_cast<int>(dims.size()))
    fail_data(where, "cannot read the chunk shape");
  uint64_t expected = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (chunk[i] == 0) fail_data(where, "chunk axis of length 0");
    expected *= (dims[i] + chunk[i] - 1) / chunk[i];
  }
  hsize_t stored = 0;
  // HDF5 1.10 takes the file dataspace here, not H5S_ALL.
  check(H5Dget_num_chunks(dset, space, &stored), where, "cannot count the stored chunks");
  return {expected, stored};
}

}  // namespace

void check_stored(hid_t dset, const Where& where, uint64_t decoded_bytes) {
  Handle dcpl(check(H5Dget_create_plist(dset), where, "cannot read the creation property list"), H5Pclose);
  const H5D_layout_t layout = H5Pget_layout(dcpl);
  // cagcl writes contiguous and chunked datasets only. A compact one's data sit in the object header, the part of
  // the file libhdf5 parses least safely (docs/reliability.md); external or virtual storage reads other files the
  // shard names.
  if (layout != H5D_CONTIGUOUS && layout != H5D_CHUNKED) {
    fail_data(where, layout == H5D_COMPACT   ? "compact layout: not read (cagcl writes none)"
                     : layout == H5D_VIRTUAL ? "virtual dataset: not read (it names other files)"
                                             : "unknown storage layout: not read");
  }
  if (H5Pget_external_count(dcpl) != 0) fail_data(where, "external storage: not read (it names other files)");
  if (decoded_bytes == 0) return;
  const uint64_t stored = H5Dget_storage_size(dset);
  if (layout == H5D_CHUNKED) {
    Handle space(check(H5Dget_space(dset), where, "cannot read dataspace"), H5Sclose);
    Dims dims(static_cast<size_t>(check(H5Sget_simple_extent_ndims(space), where, "cannot read dataspace")));
    if (!dims.empty()) check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), where, "cannot read dataspace");
    const auto [expected, present] = chunk_counts(dset, dcpl, space, where, dims);
    if (present != expected) {
      fail_data(where, fmt::format("the file stores {} of {} chunks (HDF5 would fill the rest with zeros; "
                                   "truncated or hostile file)",
                                   present, expected));
    }
  }
  const uint64_t ratio = layout == H5D_CHUNKED ? kMaxFilterRatio : 1;
  if (stored == 0 || decoded_bytes / ratio > stored) {
    fail_data(where, fmt::format("declares {} bytes but the file stores only {} bytes for it (truncated or "
                                 "hostile file)",
                                 decoded_bytes, stored));
  }
}

template <class T>
void read_dataset(hid_t dset, const Where& where, size_t elements, std::vector<T>& out) {
  check_stored(dset, where, static_cast<uint64_t>(elements) * sizeof(T));
  out.resize(elements);
  if (elements == 0) return;
  check(H5Dread(dset, native_type(dtype_of<T>()), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), where,
        "read failed (corrupt chunk or checksum mismatch?)");
}

template <class T>
std::vector<T> read_exact(hid_t parent, const std::string& name, const Where& where, const Dims& dims) {
  Where w = where.child(name);
  Handle dset = open_dataset(parent, name, where);
  Dims found =
      checked_shape(dset, w, dtype_of<T>(), static_cast<int>(dims.size()), std::numeric_limits<uint64_t>::max());
  if (found != dims) fail_data(w, fmt::format("expected shape {}, found {}", dims_text(dims), dims_text(found)));
  std::vector<T> out;
  read_dataset(dset, w, static_cast<size_t>(element_count(dims)), out);
  return out;
}

template <class T>
std::vector<T> read_vector(hid_t parent, const std::string& name, const Where& where, uint64_t max_len) {
  Where w = where.child(name);
  Handle dset = open_dataset(parent, name, where);
  Dims found = checked_shape(dset, w, dtype_of<T>(), 1, max_len);
  std::vector<T> out;
  read_dataset(dset, w, static_cast<size_t>(found[0]), out);
  return out;
}

#define CAGCL_H5_INSTANTIATE(T)                                                                          \
  template void write_dataset<T>(hid_t, const std::string&, const Where&, const Dims&, const T*, hid_t); \
  template void read_dataset<T>(hid_t, const Where&, size_t, std::vector<T>&);                           \
  template std::vector<T> read_exact<T>(hid_t, const std::string&, const Where&, const Dims&);           \
  template std::vector<T> read_vector<T>(hid_t, const std::string&, const Where&, uint64_t);
CAGCL_H5_INSTANTIATE(uint8_t)
CAGCL_H5_INSTANTIATE(int16_t)
CAGCL_H5_INSTANTIATE(int64_t)
CAGCL_H5_INSTANTIATE(uint64_t)
CAGCL_H5_INSTANTIATE(double)
#undef CAGCL_H5_INSTANTIATE

namespace {

// A fixed-length string type of the file, checked; and the memory type that reads it as stored (HDF5 converts
// between string types only within one character set).
Handle string_memory_type(hid_t file_type, const Where& where, uint64_t count, size_t& width) {
  const Dtype found = classify(file_type);
  if (found == Dtype::vlen_string) {
    fail_data(where,
              "variable-length string: not read, since libhdf5 takes its length from the file's global heap "
              "unchecked; shards of schema 2 store fixed-length strings (convert older data again)");
  }
  if (found != Dtype::string) fail_data(where, fmt::format("expected string, found {}", to_string(found)));
  width = H5Tget_size(file_type);
  if (width == 0 || count > kMaxStringMemberBytes / width) {
    fail_data(where,
              fmt::format("{} strings of {} bytes exceed the limit of {} bytes", count, width, kMaxStringMemberBytes));
  }
  const H5T_cset_t cset = H5Tget_cset(file_type);
  if (cset != H5T_CSET_ASCII && cset != H5T_CSET_UTF8) fail_data(where, "string of an unknown character set");
  return fixed_string_type(width, cset);
}

std::vector<std::string> read_string_dataset(hid_t parent, const std::string& name, const Where& where, int rank,
                                             uint64_t max_len) {
  Where w = where.child(name);
  Handle dset = open_dataset(parent, name, where);
  Handle type(check(H5Dget_type(dset), w, "cannot read dtype"), H5Tclose);
  Handle space(check(H5Dget_space(dset), w, "cannot read dataspace"), H5Sclose);
  const uint64_t n = element_count(checked_space_shape(space, w, rank, max_len));
  size_t width = 0;
  Handle mem = string_memory_type(type, w, n, width);
  if (n == 0) return {};
  check_stored(dset, w, n * width);
  std::vector<char> bytes(n * width);
  check(H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), w, "read failed");
  return unpacked(bytes, width);
}

void write_string_dataset(hid_t parent, const std::string& name, const Where& where, const Dims& dims,
                          const std::vector<std::string>& v) {
  Where w = where.child(name);
  const size_t width = string_width(v);
  Handle type = fixed_string_type(width, H5T_CSET_UTF8);
  Handle space = simple_space(dims);
  Handle dcpl = dataset_creation_plist();
  Handle dset = checked_handle(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
                               w, "cannot create dataset");
  if (v.empty()) return;
  check(H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, packed(v, width).data()), w, "write failed");
}

}  // namespace

void write_strings(hid_t parent, const std::string& name, const Where& where, const std::vector<std::string>& v) {
  write_string_dataset(parent, name, where, {v.size()}, v);
}

std::vector<std::string> read_strings(hid_t parent, const std::string& name, const Where& where, uint64_t max_len) {
  return read_string_dataset(parent, name, where, 1, max_len);
}

void write_string(hid_t parent, const std::string& name, const Where& where, const std::string& s) {
  write_string_dataset(parent, name, where, {}, {s});
}

std::string read_string(hid_t parent, const std::string& name, const Where& where) {
  return read_string_dataset(parent, name, where, 0, 1)[0];
}

void write_attr_int64(hid_t obj, const std::string& name, const Where& where, int64_t value) {
  Handle attr = create_attr(obj, name, where, H5T_STD_I64LE, {});
  check(H5Awrite(attr, H5T_NATIVE_INT64, &value), attr_where(where, name), "write failed");
}

int64_t read_attr_int64(hid_t obj, const std::string& name, const Where& where) {
  Handle attr = open_attr(obj, name, where);
  Where w = attr_where(where, name);
  Handle type(check(H5Aget_type(attr), w, "cannot read type"), H5Tclose);
  if (H5Tget_class(type) != H5T_INTEGER) {
    fail_data(w, fmt::format("expected an integer, found {}", to_string(classify(type))));
  }
  Handle space(check(H5Aget_space(attr), w, "cannot read dataspace"), H5Sclose);
  checked_space_shape(space, w, 0, 1);
  int64_t value = 0;
  // HDF5 converts any integer width and clips values beyond int64's range; callers range-check the result.
  check(H5Aread(attr, H5T_NATIVE_INT64, &value), w, "read failed");
  return value;
}

namespace {
void write_attr_string_values(hid_t obj, const std::string& name, const Where& where, const Dims& dims,
                              const std::vector<std::string>& v) {
  const size_t width = string_width(v);
  Handle type = fixed_string_type(width, H5T_CSET_UTF8);
  Handle attr = create_attr(obj, name, where, type, dims);
  if (v.empty()) return;
  check(H5Awrite(attr, type, packed(v, width).data()), attr_where(where, name), "write failed");
}

std::vector<std::string> read_attr_string_values(hid_t obj, const std::string& name, const Where& where, int rank,
                                                 uint64_t max_len) {
  Handle attr = open_attr(obj, name, where);
  Where w = attr_where(where, name);
  Handle type(check(H5Aget_type(attr), w, "cannot read type"), H5Tclose);
  Handle space(check(H5Aget_space(attr), w, "cannot read dataspace"), H5Sclose);
  const uint64_t n = element_count(checked_space_shape(space, w, rank, max_len));
  size_t width = 0;
  Handle mem = string_memory_type(type, w, n, width);
  if (n == 0) return {};
  std::vector<char> bytes(n * width);
  check(H5Aread(attr, mem, bytes.data()), w, "read failed");
  return unpacked(bytes, width);
}
}  // namespace

void write_attr_string(hid_t obj, const std::string& name, const Where& where, const std::string& value) {
  write_attr_string_values(obj, name, where, {}, {value});
}

void write_attr_strings(hid_t obj, const std::string& name, const Where& where, const std::vector<std::string>& v) {
  write_attr_string_values(obj, name, where, {v.size()}, v);
}

std::string read_attr_string(hid_t obj, const std::string& name, const Where& where) {
  return read_attr_string_values(obj, name, where, 0, 1)[0];
}

std::vector<std::string> read_attr_strings(hid_t obj, const std::string& name, const Where& where, uint64_t max_len) {
  return read_attr_string_values(obj, name, where, 1, max_len);
}

}  // namespace cagcl::data::h5
