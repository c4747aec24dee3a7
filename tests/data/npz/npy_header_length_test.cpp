// The .npy header length: 16-bit little-endian in version 1.0, 32-bit in 2.0 and 3.0 (3.0 only changes the
// header's encoding to UTF-8). Every width is read whole and bounded by the bytes the array actually has.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "data/npz/npy_array.hpp"

namespace cagcl::data::npz {
namespace npy_header_length_test {
namespace {

// `dict` padded to a multiple of 64 bytes with the prefix of `major` (1: 2-byte length, 2 and 3: 4-byte).
std::string npy(int major, const std::string& dict, size_t data_bytes) {
  const size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\0');
}

const std::string kDict = "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }";

std::string error_of(const std::string& bytes) {
  try {
    parse_npy(bytes, "a.npz: array 'ct'");
  } catch (const DataError& e) {
    return e.what();
  }
  return "(parsed)";
}

TEST(NpyHeaderLength, EveryVersionReadsItsLengthWidth) {
  for (int major : {1, 2, 3}) {
    SCOPED_TRACE(major);
    const NpyArray a = parse_npy(npy(major, kDict, 6), "t");
    EXPECT_EQ(a.shape, (std::vector<int64_t>{3}));
    EXPECT_EQ(a.data.size(), 6u);
  }
}

TEST(NpyHeaderLength, ALengthPastTheEndIsRefusedWhateverItsWidth) {
  std::string v1 = npy(1, kDict, 6);
  v1[9] = '\x7f';  // 16-bit length ~32 KB, the array has 70 bytes
  EXPECT_NE(error_of(v1).find("does not fit"), std::string::npos) << error_of(v1);
  for (int major : {2, 3}) {
    SCOPED_TRACE(major);
    std::string v = npy(major, kDict, 6);
    v[11] = '\x80';  // the top byte of the 32-bit length: ~2 GB
    EXPECT_NE(error_of(v).find("does not fit"), std::string::npos) << error_of(v);
    v[11] = '\0';
    v[10] = '\x01';  // 64 KiB + the real length: a 16-bit reader would see the real length and parse
    EXPECT_NE(error_of(v).find("does not fit"), std::string::npos) << error_of(v);
  }
}

TEST(NpyHeaderLength, ATruncatedPrefixIsRefused) {
  EXPECT_NE(error_of(std::string("\x93NUMPY\x02\x00\x10\x00\x00", 11)).find("truncated"), std::string::npos);
  EXPECT_NE(error_of(std::string("\x93NUMPY\x01\x00\x10", 9)).find("no \\x93NUMPY magic"), std::string::npos);
}

}  // namespace
}  // namespace npy_header_length_test
}  // namespace cagcl::data::npz
