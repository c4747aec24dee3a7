// write_nifti must notice when the voxel data reach the disk only in part (a full disk, a quota), not only when the
// header does: nifti_image_write reports such failures on stderr alone. RLIMIT_FSIZE makes every write past a size
// fail (EFBIG), which stands for a disk that fills up right after the header.
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "common/error.hpp"
#include "data/nifti/nifti_image.hpp"
#include "tests/common/file_size_limit.hpp"

namespace cagcl::data::nifti {
namespace {

using test_support::FileSizeLimit;

std::filesystem::path fresh_dir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / (std::string("cagcl-nifti-short-") + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void expect_short_write_refused(const char* file_name, rlim_t limit) {
  const auto dir = fresh_dir(file_name);
  NiftiWriteSpec spec;
  spec.dims = {64, 64, 16};
  spec.type = VoxelType::i16;
  std::vector<int16_t> voxels(64 * 64 * 16);
  for (size_t i = 0; i < voxels.size(); ++i) voxels[i] = static_cast<int16_t>((i * 7919) % 3001 - 1000);
  const auto path = dir / file_name;
  {
    FileSizeLimit limit_guard(limit);
    EXPECT_THROW(write_nifti(path, spec, voxels.data()), IoError) << file_name;
  }
  EXPECT_FALSE(std::filesystem::exists(path)) << "a short file must not be committed under its name";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ADD_FAILURE() << "temporary left behind: " << entry.path();
  }
  std::filesystem::remove_all(dir);
}

TEST(NiftiShortWrite, PlainFileWhoseVoxelsDoNotAllFitIsAnIoError) {
  // 352 header bytes fit; the 128 KiB of voxels do not.
  expect_short_write_refused("v.nii", 4096);
}

TEST(NiftiShortWrite, GzipFileCutAfterTheHeaderIsAnIoError) {
  // The pseudo-random voxels compress poorly, so the gzip stream needs far more than 2 KiB.
  expect_short_write_refused("v.nii.gz", 2048);
}

}  // namespace
}  // namespace cagcl::data::nifti
