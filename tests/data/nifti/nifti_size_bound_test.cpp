// A NIfTI header's voxel count is untrusted: before the voxels are allocated it is bounded by what the file can
// hold (a .nii: its size; a .nii.gz: its size times deflate's ~1032:1 limit), naming the file.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <iterator>

#include "common/error.hpp"
#include "data/nifti/nifti_image.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::data::nifti {
namespace nifti_size_bound_test {
namespace {

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A small valid int16 .nii whose header then claims `nx` x `ny` x `nz` voxels (NIfTI-1 dim[1..3] at byte 42).
std::string header_claiming(const std::filesystem::path& dir, int16_t nx, int16_t ny, int16_t nz) {
  NiftiWriteSpec spec;
  spec.dims = {4, 4, 4};
  const std::vector<int16_t> voxels(64, 5);
  write_nifti(dir / "small.nii", spec, voxels.data());
  std::string b = read_bytes(dir / "small.nii");
  for (const auto& [at, v] : {std::pair<size_t, int16_t>{42, nx}, {44, ny}, {46, nz}}) {
    b[at] = static_cast<char>(v & 0xff);
    b[at + 1] = static_cast<char>((v >> 8) & 0xff);
  }
  return b;
}

std::string read_error(const std::filesystem::path& path) {
  try {
    NiftiImage::read(path);
  } catch (const DataError& e) {
    return e.what();
  }
  return "(read)";
}

TEST(NiftiSizeBound, PlainFileDeclaringMoreVoxelsThanItHoldsIsRefusedBeforeLoading) {
  test_support::TempDir dir;
  const auto path = dir / "claims.nii";
  std::ofstream(path, std::ios::binary) << header_claiming(dir.path(), 1024, 1024, 256);
  const std::string error = read_error(path);
  EXPECT_NE(error.find(path.string()), std::string::npos) << error;
  EXPECT_NE(error.find("more than the file"), std::string::npos) << error;
}

TEST(NiftiSizeBound, GzipFileDeclaringMoreThanItCanInflateToIsRefusedBeforeLoading) {
  test_support::TempDir dir;
  const auto path = dir / "claims.nii.gz";
  const std::string bytes = header_claiming(dir.path(), 1024, 1024, 256);
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
  const std::string error = read_error(path);
  EXPECT_NE(error.find(path.string()), std::string::npos) << error;
  EXPECT_NE(error.find("more than the file"), std::string::npos) << error;
}

}  // namespace
}  // namespace nifti_size_bound_test
}  // namespace cagcl::data::nifti
