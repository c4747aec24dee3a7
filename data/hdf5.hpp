#pragma once
// Thin RAII and checked-access layer over the HDF5 C API, shared by the shard reader and writer so both
// sides agree on dtypes and on how errors are reported.
//
// Every failure becomes an exception whose message names the file and the member (HDF5 path) at fault, and
// carries HDF5's own error-stack text; HDF5's automatic stderr printing is switched off (per thread, since
// the thread-safe build keeps one error stack per thread).
#include <hdf5.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace cagcl::data::h5 {

// Process-wide set-up, idempotent and cheap after the first call: silences HDF5's error printing on the
// calling thread and registers the Debian filter-plugin directory when HDF5 would not search it itself.
void init();

// Owns one hid_t and closes it with the matching H5*close function. Move-only.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept { *this = std::move(other); }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }  // NOLINT: handles are passed straight to the C API
  bool valid() const { return id_ >= 0; }
  void reset();
  // Closes now and reports a failed close (which for a file can mean unflushed data) as an exception.
  void close(const std::string& file, const std::string& member);

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Where an object lives, for error messages: "FILE: member 'MEMBER': ...".
struct Where {
  std::string file;
  std::string member;  // HDF5 path inside the file; empty for the file itself
  Where child(const std::string& name) const;
  std::string prefix() const;  // "FILE: member 'MEMBER'" (or just "FILE")
};

// Text of the calling thread's HDF5 error stack (innermost first, "; "-joined), empty if none.
std::string error_stack();
[[noreturn]] void fail_data(const Where& where, const std::string& what);  // appends error_stack()
[[noreturn]] void fail_io(const Where& where, const std::string& what);    // appends error_stack()

// ---- dtypes -------------------------------------------------------------------------------------------
// The dtypes a shard uses. `name` is numpy's spelling, used in messages ("expected int16, found float32").
// `string` is a fixed-length string, the only kind read; `vlen_string` is recognised to be refused by name.
enum class Dtype { i8, u8, i16, u16, i32, u32, i64, u64, f32, f64, string, vlen_string, other };
std::string to_string(Dtype);
template <class T>
constexpr Dtype dtype_of();
template <>
constexpr Dtype dtype_of<uint8_t>() {
  return Dtype::u8;
}
template <>
constexpr Dtype dtype_of<int16_t>() {
  return Dtype::i16;
}
template <>
constexpr Dtype dtype_of<int64_t>() {
  return Dtype::i64;
}
template <>
constexpr Dtype dtype_of<uint64_t>() {
  return Dtype::u64;
}
template <>
constexpr Dtype dtype_of<double>() {
  return Dtype::f64;
}
hid_t native_type(Dtype);    // H5T_NATIVE_*; not for strings
Dtype classify(hid_t type);  // the Dtype of an on-disk type
// Fixed-length, NUL-padded string of `width` bytes (>= 1). The string functions below use it: each string member
// or attribute is as wide as its longest value, and a read stops at the first NUL.
Handle fixed_string_type(size_t width, H5T_cset_t cset);
// Upper bound on the bytes one string member or attribute may make us allocate (a report is far smaller).
inline constexpr uint64_t kMaxStringMemberBytes = uint64_t{64} << 20;

// ---- files and groups -----------------------------------------------------------------------------------
// Creates (truncating) a file whose objects carry no timestamps, so equal content gives equal bytes.
Handle create_file(const std::filesystem::path& path);
Handle open_file_readonly(const std::filesystem::path& path);  // DataError when not HDF5 / unreadable
Handle create_group(hid_t parent, const std::string& name, const Where& where);
Handle open_group(hid_t parent, const std::string& name, const Where& where);
bool exists(hid_t parent, const std::string& name);  // direct child link only

// ---- datasets -------------------------------------------------------------------------------------------
using Dims = std::vector<hsize_t>;
// Dataset creation properties: no timestamps; chunk/filters set by the caller when given.
Handle dataset_creation_plist();
// `where` names the parent, as for open_group; the member's own name is appended in messages.
Handle open_dataset(hid_t parent, const std::string& name, const Where& where);
// Opens `name`, checks its dtype and rank, and returns its shape. `max_elements` bounds the product of the
// shape so a hostile file cannot make us allocate without limit.
Dims checked_shape(hid_t dset, const Where& where, Dtype expected, int rank, uint64_t max_elements);

// HDF5 hands back the fill value for whatever a dataset does not store, so a small file can declare a huge
// shape and have a whole read allocate and fill it. Before reading all of a dataset of `decoded_bytes`: every
// chunk must be stored (or, unchunked, the storage allocated) and the stored bytes, expanded at most
// kMaxFilterRatio times, must reach `decoded_bytes`. Compact, virtual and external storage are refused whatever
// the size (cagcl writes none; see check_stored). DataError naming `where` otherwise.
inline constexpr uint64_t kMaxFilterRatio = 1032;  // deflate's largest expansion; LZ4's is ~255
void check_stored(hid_t dset, const Where& where, uint64_t decoded_bytes);

template <class T>
void write_dataset(hid_t parent, const std::string& name, const Where& where, const Dims& dims, const T* data,
                   hid_t dcpl = H5P_DEFAULT);
// Reads a whole dataset of exactly `dims` into `out` (resized). The caller has checked the shape already.
template <class T>
void read_dataset(hid_t dset, const Where& where, size_t elements, std::vector<T>& out);

// Opens, checks dtype and exact shape, reads. One call per member on the read path.
template <class T>
std::vector<T> read_exact(hid_t parent, const std::string& name, const Where& where, const Dims& dims);
// Same, but any length up to `max_len` for a 1-D member.
template <class T>
std::vector<T> read_vector(hid_t parent, const std::string& name, const Where& where, uint64_t max_len);

void write_strings(hid_t parent, const std::string& name, const Where& where, const std::vector<std::string>& v);
std::vector<std::string> read_strings(hid_t parent, const std::string& name, const Where& where, uint64_t max_len);
void write_string(hid_t parent, const std::string& name, const Where& where, const std::string& s);  // scalar
std::string read_string(hid_t parent, const std::string& name, const Where& where);

// ---- attributes (on any object) -------------------------------------------------------------------------
void write_attr_int64(hid_t obj, const std::string& name, const Where& where, int64_t value);
int64_t read_attr_int64(hid_t obj, const std::string& name, const Where& where);  // any integer class
void write_attr_string(hid_t obj, const std::string& name, const Where& where, const std::string& value);
std::string read_attr_string(hid_t obj, const std::string& name, const Where& where);
void write_attr_strings(hid_t obj, const std::string& name, const Where& where, const std::vector<std::string>& v);
std::vector<std::string> read_attr_strings(hid_t obj, const std::string& name, const Where& where, uint64_t max_len);

}  // namespace cagcl::data::h5
