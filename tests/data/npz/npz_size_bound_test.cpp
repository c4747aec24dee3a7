// An .npz member's declared (uncompressed) size is untrusted: it is bounded by what the member's compressed
// bytes can inflate to (deflate reaches ~1032:1) before a buffer of that size is allocated.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "common/error.hpp"
#include "data/npz/npz_archive.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::data::npz {
namespace npz_size_bound_test {
namespace {

uint32_t le32(const std::string& b, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}

void put_le32(std::string& b, size_t at, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// Rewrites the uncompressed size of the archive's only member, in its local header and in the central
// directory alike, so that libzip's consistency check (ZIP_CHECKCONS) still passes.
void declare_size(const std::filesystem::path& path, uint32_t size) {
  std::string b;
  {
    std::ifstream in(path, std::ios::binary);
    b.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t local = b.find("PK\x03\x04");
  const size_t central = b.find("PK\x01\x02");
  ASSERT_NE(local, std::string::npos);
  ASSERT_NE(central, std::string::npos);
  ASSERT_EQ(le32(b, local + 22), le32(b, central + 24));
  put_le32(b, local + 22, size);
  put_le32(b, central + 24, size);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << b;
}

std::string read_error(const std::filesystem::path& path) {
  try {
    NpzArchive::open(path).read("ct");
  } catch (const DataError& e) {
    return e.what();
  }
  return "(read)";
}

std::string small_npy() {
  const std::vector<int16_t> v(64, 7);
  return npy_bytes(NpyType::i16, {4, 4, 4}, v.data());
}

TEST(NpzSizeBound, DeflatedMemberDeclaringMoreThanItsBytesCanInflateToIsRefusedUnread) {
  test_support::TempDir dir;
  const auto path = dir / "bomb.npz";
  write_npz(path, {{"ct", small_npy()}}, /*compress=*/true);
  declare_size(path, 300'000'000);
  const std::string error = read_error(path);
  EXPECT_NE(error.find(path.string()), std::string::npos) << error;
  EXPECT_NE(error.find("array 'ct'"), std::string::npos) << error;
  EXPECT_NE(error.find("compressed bytes"), std::string::npos) << error;
}

TEST(NpzSizeBound, StoredMemberDeclaringMoreThanItHoldsIsRefusedUnread) {
  test_support::TempDir dir;
  const auto path = dir / "stored.npz";
  write_npz(path, {{"ct", small_npy()}}, /*compress=*/false);
  declare_size(path, 300'000'000);
  const std::string error = read_error(path);
  EXPECT_NE(error.find(path.string()), std::string::npos) << error;
  EXPECT_NE(error.find("compressed bytes"), std::string::npos) << error;
}

}  // namespace
}  // namespace npz_size_bound_test
}  // namespace cagcl::data::npz
