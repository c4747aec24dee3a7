#pragma once
// NumPy's .npy array format (version 1.0, 2.0 and 3.0): the magic "\x93NUMPY", a version, the header length,
// a Python dict literal {'descr': '<i2', 'fortran_order': False, 'shape': (D, H, W), } and the raw data.
// Only plain numeric arrays are read: object arrays (which would need pickle) and structured dtypes are
// refused, as is anything whose header does not add up (byte count = product of the shape x item size).
// The bytes are untrusted input; every size is checked before anything is allocated.
#include <cstdint>
#include <string>
#include <vector>

namespace cagcl::data::npz {

enum class NpyType { u8, i8, i16, u16, i32, u32, f32, f64 };
std::string to_string(NpyType);  // NumPy's descr, e.g. "<i2"
size_t item_size(NpyType);

struct NpyLimits {
  int64_t max_elements = int64_t{1} << 31;
  size_t max_header_bytes = 1 << 20;
  // The memory cap: data bytes of one array. 4 GiB holds a 1024 x 1024 x 1024 float32 volume, far more than a
  // chest CT; a member declaring more is refused before it is inflated.
  uint64_t max_bytes = uint64_t{4} << 30;
};

struct NpyArray {
  NpyType type = NpyType::i16;
  std::vector<int64_t> shape;
  std::string data;  // C order, little-endian

  int64_t elements() const;
  // The values as float (int16 HU and the like are exact).
  std::vector<float> as_float() const;
};

// DataError naming `origin` (e.g. "trn00001.npz: ct.npy") for anything malformed or unsupported.
NpyArray parse_npy(const std::string& bytes, const std::string& origin, const NpyLimits& limits = {});
// A version 1.0 .npy of C-order little-endian data (`data` holds product(shape) items of `type`).
std::string npy_bytes(NpyType type, const std::vector<int64_t>& shape, const void* data);

}  // namespace cagcl::data::npz
