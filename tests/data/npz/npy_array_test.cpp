// .npy arrays: what NumPy writes is read back exactly; every malformed or unsupported header is a DataError
// naming the array, before any data is allocated.
#include <gtest/gtest.h>

#include <cstring>

#include "common/error.hpp"
#include "data/npz/npy_array.hpp"

namespace cagcl::data::npz {
namespace {

// A v1.0 .npy with the given header dict (padded as NumPy pads it) and `data_bytes` zero bytes of data.
std::string npy_with_header(const std::string& dict, size_t data_bytes) {
  std::string header = dict;
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + std::string(data_bytes, '\0');
}

std::string error_of(const std::string& bytes) {
  try {
    parse_npy(bytes, "x.npz: array 'ct'");
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(NpyArray, WrittenArraysReadBackWithShapeTypeAndValues) {
  const std::vector<int16_t> values = {-1024, -1000, 0, 40, 1000, 3071};
  const std::string bytes = npy_bytes(NpyType::i16, {1, 2, 3}, values.data());
  EXPECT_EQ(bytes.compare(0, 6, "\x93NUMPY"), 0);
  EXPECT_EQ((bytes.size() - values.size() * 2) % 64, 0u) << "the data starts on a 64-byte boundary, as NumPy's";
  const NpyArray a = parse_npy(bytes, "test");
  EXPECT_EQ(a.type, NpyType::i16);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(a.as_float(), (std::vector<float>{-1024, -1000, 0, 40, 1000, 3071}));

  const std::vector<double> d = {0.5, -2.25};
  const NpyArray b = parse_npy(npy_bytes(NpyType::f64, {2}, d.data()), "test");
  EXPECT_EQ(b.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(b.as_float(), (std::vector<float>{0.5f, -2.25f}));
}

TEST(NpyArray, HeaderAsNumpyWritesItIsParsedWhateverTheKeyOrderAndVersion) {
  const NpyArray a = parse_npy(npy_with_header("{'shape': (2, 3), 'fortran_order': False, 'descr': '|u1', }", 6), "t");
  EXPECT_EQ(a.type, NpyType::u8);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  // Version 2.0: a 4-byte header length.
  std::string v1 = npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 16);
  const size_t header_len = static_cast<unsigned char>(v1[8]) | static_cast<size_t>(static_cast<unsigned char>(v1[9]))
                                                                    << 8;
  std::string v2 = std::string("\x93NUMPY\x02\x00", 8) + std::string(1, static_cast<char>(header_len & 0xff)) +
                   std::string(1, static_cast<char>(header_len >> 8)) + std::string(2, '\0') + v1.substr(10);
  const NpyArray b = parse_npy(v2, "t");
  EXPECT_EQ(b.type, NpyType::f32);
  EXPECT_EQ(b.shape, (std::vector<int64_t>{4}));
}

TEST(NpyArray, MalformedOrUnsupportedArraysAreRefusedNamingTheArray) {
  EXPECT_NE(error_of("PK\x03\x04 not npy").find("no \\x93NUMPY magic"), std::string::npos);
  EXPECT_NE(error_of(npy_with_header("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16))
                .find("object arrays are never loaded"),
            std::string::npos);
  EXPECT_NE(
      error_of(npy_with_header("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }", 4)).find("not supported"),
      std::string::npos);
  EXPECT_NE(
      error_of(npy_with_header("{'descr': '<i2', 'fortran_order': True, 'shape': (2, 2), }", 8)).find("Fortran order"),
      std::string::npos);
  EXPECT_NE(error_of(npy_with_header("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }", 10))
                .find("needs 12 data bytes"),
            std::string::npos);
  EXPECT_NE(error_of(npy_with_header("{'descr': '<i2', 'fortran_order': False, }", 4)).find("lacks 'shape'"),
            std::string::npos);
  EXPECT_NE(error_of(npy_with_header("{'descr': '<i2', 'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", 4))
                .find("twice"),
            std::string::npos);
  EXPECT_NE(error_of(npy_with_header("{'descr': '<i2', 'fortran_order': False, 'shape': (2, -1), }", 4))
                .find("not a tuple of sizes"),
            std::string::npos);
  // A shape whose product overflows is refused before anything is allocated.
  EXPECT_NE(
      error_of(npy_with_header("{'descr': '<i2', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", 0))
          .find("exceeds"),
      std::string::npos);
  EXPECT_NE(error_of(npy_with_header("{'descr': '<i2', 'fortran_order': False, 'shape': (2,)", 4)).find(".npy header"),
            std::string::npos);
  std::string huge_header_len = npy_with_header("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", 4);
  huge_header_len[8] = '\xff';
  huge_header_len[9] = '\xff';
  EXPECT_NE(error_of(huge_header_len).find("does not fit"), std::string::npos);
  // The same header, well-formed, parses: the failures above come from what each one breaks.
  EXPECT_EQ(error_of(npy_with_header("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", 4)), "");
  EXPECT_NE(error_of("junk").find("x.npz: array 'ct'"), std::string::npos) << "messages name the array";
}

}  // namespace
}  // namespace cagcl::data::npz
