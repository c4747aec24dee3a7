#include "common/checksum.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"

namespace cagcl {

TEST(Checksum, MatchesTheSha256TestVector) {
  EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Checksum, FileDigestEqualsBufferDigest) {
  auto path = std::filesystem::temp_directory_path() / "cagcl_checksum_test.bin";
  std::string content(3'000'000, 'x');
  std::ofstream(path, std::ios::binary) << content;
  EXPECT_EQ(sha256_file(path), sha256_hex(content.data(), content.size()));
  std::filesystem::remove(path);
}

TEST(Checksum, MissingFileNamesThePath) {
  try {
    sha256_file("/nonexistent/cagcl.h5");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/cagcl.h5"), std::string::npos);
  }
}

}  // namespace cagcl
