// .npz archives through libzip: what write_npz stores (deflated or not) reads back; what NumPy itself writes
// (np.savez, np.savez_compressed, via Debian's python3-numpy) is read; damaged archives are DataErrors naming
// the file and the array.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.hpp"
#include "data/npz/npz_archive.hpp"
#include "tests/common/shell_command.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::data::npz {
namespace {

std::vector<int16_t> npz_ramp(size_t n) {
  std::vector<int16_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<int16_t>(static_cast<int>(i * 37 % 4096) - 1024);
  return v;
}

std::string read_error(const std::filesystem::path& path, const std::string& array = "ct") {
  try {
    NpzArchive::open(path).read(array);
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

void flip_byte(const std::filesystem::path& path, std::streamoff at) {
  std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
  io.seekg(at);
  const char c = static_cast<char>(io.get());
  io.seekp(at);
  io.put(static_cast<char>(c ^ 0x5a));
}

TEST(NpzArchive, WrittenArchivesReadBackCompressedOrStored) {
  test_support::TempDir dir;
  const auto values = npz_ramp(4 * 5 * 6);
  for (const bool compress : {true, false}) {
    const auto path = dir / (compress ? "c.npz" : "s.npz");
    write_npz(path,
              {{"ct", npy_bytes(NpyType::i16, {4, 5, 6}, values.data())},
               {"other", npy_bytes(NpyType::i16, {1}, values.data())}},
              compress);
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".partial"));
    const auto archive = NpzArchive::open(path);
    EXPECT_EQ(archive.array_names(), (std::vector<std::string>{"ct", "other"}));
    const NpyArray a = archive.read("ct");
    EXPECT_EQ(a.shape, (std::vector<int64_t>{4, 5, 6}));
    const auto f = a.as_float();
    ASSERT_EQ(f.size(), values.size());
    for (size_t i = 0; i < f.size(); ++i) ASSERT_EQ(f[i], values[i]);
  }
  EXPECT_LT(std::filesystem::file_size(dir / "c.npz"), std::filesystem::file_size(dir / "s.npz"));
}

TEST(NpzArchive, ArchivesWrittenByNumpyAreRead) {
  test_support::TempDir dir;
  const std::string script =
      "import sys, numpy as np\n"
      "a = (np.arange(3*4*5, dtype=np.int64) * 37 % 4096 - 1024).astype(np.int16).reshape(3, 4, 5)\n"
      "np.savez_compressed(sys.argv[1] + '/c.npz', ct=a)\n"
      "np.savez(sys.argv[1] + '/s.npz', ct=a.astype(np.float32), mask=np.ones((2, 2), np.uint8))\n"
      "np.savez(sys.argv[1] + '/f.npz', ct=np.asfortranarray(a))\n"
      "np.savez(sys.argv[1] + '/o.npz', ct=np.array([{'x': 1}], dtype=object))\n";
  { std::ofstream(dir / "make.py") << script; }
  const auto made = test_support::run_shell("/usr/bin/python3 '" + (dir / "make.py").string() + "' '" +
                                            dir.path().string() + "' 2>&1");
  if (made.exit_code != 0) GTEST_SKIP() << "Debian's python3-numpy is not available: " << made.out;
  const auto values = npz_ramp(3 * 4 * 5);
  for (const char* name : {"c.npz", "s.npz"}) {
    SCOPED_TRACE(name);
    const NpyArray a = NpzArchive::open(dir / name).read("ct");
    EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 4, 5}));
    const auto f = a.as_float();
    ASSERT_EQ(f.size(), values.size());
    for (size_t i = 0; i < f.size(); ++i) ASSERT_EQ(f[i], values[i]);
  }
  EXPECT_EQ(NpzArchive::open(dir / "s.npz").read("mask").type, NpyType::u8);
  EXPECT_NE(read_error(dir / "f.npz").find("Fortran order"), std::string::npos);
  EXPECT_NE(read_error(dir / "o.npz").find("object arrays are never loaded"), std::string::npos);
}

TEST(NpzArchive, DamagedArchivesAreDataErrorsNamingFileAndArray) {
  test_support::TempDir dir;
  const auto values = npz_ramp(16 * 16 * 16);
  const std::string npy = npy_bytes(NpyType::i16, {16, 16, 16}, values.data());
  for (const bool compress : {true, false}) {
    SCOPED_TRACE(compress ? "deflated" : "stored");
    const auto path = dir / "v.npz";
    write_npz(path, {{"ct", npy}}, compress);
    const auto size = static_cast<std::streamoff>(std::filesystem::file_size(path));
    // A flipped byte in the member's data: the CRC-32 (or the deflate stream) catches it.
    flip_byte(path, size / 3);
    const std::string crc = read_error(path);
    EXPECT_NE(crc.find(path.string()), std::string::npos) << crc;
    EXPECT_NE(crc.find("array 'ct'"), std::string::npos) << crc;
    // Truncated: the central directory at the end is gone.
    write_npz(path, {{"ct", npy}}, compress);
    std::filesystem::resize_file(path, static_cast<uintmax_t>(size / 2));
    EXPECT_NE(read_error(path).find("not a readable .npz"), std::string::npos) << read_error(path);
  }
  write_npz(dir / "v.npz", {{"volume", npy}}, true);
  EXPECT_NE(read_error(dir / "v.npz").find("no array 'ct' (the archive holds: volume)"), std::string::npos);
  { std::ofstream(dir / "text.npz") << "not a zip archive"; }
  EXPECT_NE(read_error(dir / "text.npz").find("not a readable .npz"), std::string::npos);
  EXPECT_THROW(NpzArchive::open(dir / "missing.npz"), IoError);
}

}  // namespace
}  // namespace cagcl::data::npz
