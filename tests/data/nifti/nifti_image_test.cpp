// NIfTI through nifti_clib: round trips (gzip and plain, orientation), and untrusted-file checks.
#include "data/nifti/nifti_image.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <numeric>

#include "common/error.hpp"

namespace cagcl::data::nifti {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("cagcl-nifti-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// An oblique-free but flipped and shifted RAS affine: i to the left (-x), j to anterior... with offsets.
Matrix4 test_affine() {
  Matrix4 a = identity4();
  a[0] = {-0.75, 0, 0, 120.5};
  a[1] = {0, 0.8, 0, -99.25};
  a[2] = {0, 0, -2.5, 40};
  return a;
}

std::vector<int16_t> nifti_ramp(size_t n) {
  std::vector<int16_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<int16_t>(static_cast<int>(i * 37 % 4000) - 1024);
  return v;
}

void expect_affine_near(const Matrix4& a, const Matrix4& b) {
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(a[r][c], b[r][c], 1e-4) << "row " << r << " col " << c;
}

TEST(NiftiImage, GzipRoundTripKeepsVoxelsSpacingAndBothTransforms) {
  TempDir dir;
  for (const char* name : {"v.nii.gz", "v.nii"}) {
    NiftiWriteSpec spec;
    spec.dims = {7, 5, 3};
    spec.type = VoxelType::i16;
    spec.affine = test_affine();
    const auto voxels = nifti_ramp(7 * 5 * 3);
    write_nifti(dir.path / name, spec, voxels.data());
    const NiftiImage image = NiftiImage::read(dir.path / name);
    const NiftiHeader& h = image.header();
    EXPECT_EQ(h.dims, (std::array<int64_t, 3>{7, 5, 3}));
    EXPECT_EQ(h.type, VoxelType::i16);
    EXPECT_NEAR(h.pixdim[0], 0.75, 1e-6);
    EXPECT_NEAR(h.pixdim[1], 0.8, 1e-6);
    EXPECT_NEAR(h.pixdim[2], 2.5, 1e-6);
    EXPECT_GT(h.sform_code, 0);
    EXPECT_GT(h.qform_code, 0);
    expect_affine_near(h.sform, test_affine());
    // The qform is stored as a quaternion + qfac: a reflection (two flipped axes here) must survive it.
    expect_affine_near(h.qform, test_affine());
    const auto values = image.stored_as_float();
    ASSERT_EQ(values.size(), voxels.size());
    for (size_t i = 0; i < voxels.size(); ++i) ASSERT_EQ(values[i], voxels[i]) << name << " voxel " << i;
  }
  // gzip is really used for .nii.gz: the magic bytes 1f 8b.
  std::ifstream in(dir.path / "v.nii.gz", std::ios::binary);
  unsigned char magic[2] = {0, 0};
  in.read(reinterpret_cast<char*>(magic), 2);
  EXPECT_EQ(magic[0], 0x1f);
  EXPECT_EQ(magic[1], 0x8b);
}

TEST(NiftiImage, BestAffinePrefersSformThenQformThenPixdim) {
  NiftiHeader h;
  h.pixdim = {2, 3, 4};
  std::string which;
  EXPECT_EQ(h.best_affine(&which)[1][1], 3);
  EXPECT_EQ(which, "pixdim");
  h.qform_code = 1;
  h.qform[0][3] = 7;
  EXPECT_EQ(h.best_affine(&which)[0][3], 7);
  EXPECT_EQ(which, "qform");
  h.sform_code = 2;
  h.sform[0][3] = 9;
  EXPECT_EQ(h.best_affine(&which)[0][3], 9);
  EXPECT_EQ(which, "sform");
}

TEST(NiftiImage, Uint8AndUint16LabelsReadBack) {
  TempDir dir;
  NiftiWriteSpec spec;
  spec.dims = {4, 3, 2};
  spec.type = VoxelType::u16;
  std::vector<uint16_t> v(24);
  std::iota(v.begin(), v.end(), 0);
  write_nifti(dir.path / "m.nii.gz", spec, v.data());
  const auto labels = NiftiImage::read(dir.path / "m.nii.gz").as_labels();
  ASSERT_EQ(labels.size(), 24u);
  EXPECT_EQ(labels[23], 23);
  v[5] = 300;  // not a uint8 label
  write_nifti(dir.path / "bad.nii.gz", spec, v.data());
  const NiftiImage bad = NiftiImage::read(dir.path / "bad.nii.gz");
  EXPECT_THROW(bad.as_labels(), DataError);
}

TEST(NiftiImage, CorruptGzipIsADataErrorNamingTheFile) {
  TempDir dir;
  NiftiWriteSpec spec;
  spec.dims = {64, 64, 16};
  const auto voxels = nifti_ramp(64 * 64 * 16);
  const auto path = dir.path / "corrupt.nii.gz";
  write_nifti(path, spec, voxels.data());
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = std::filesystem::file_size(path);
    for (uintmax_t pos = size / 3; pos < size / 3 + 64; ++pos) {
      f.seekp(static_cast<std::streamoff>(pos));
      f.put(static_cast<char>(0x5a ^ static_cast<int>(pos)));
    }
  }
  try {
    NiftiImage::read(path);
    FAIL() << "a corrupt gzip stream was read";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST(NiftiImage, TruncatedFileIsADataError) {
  TempDir dir;
  NiftiWriteSpec spec;
  spec.dims = {32, 32, 8};
  const auto voxels = nifti_ramp(32 * 32 * 8);
  const auto path = dir.path / "short.nii";
  write_nifti(path, spec, voxels.data());
  std::filesystem::resize_file(path, 352 + 1000);
  EXPECT_THROW(NiftiImage::read(path), DataError);
}

TEST(NiftiImage, NotNiftiAndMissingFilesAreNamedErrors) {
  TempDir dir;
  const auto text = dir.path / "text.nii";
  std::ofstream(text) << "VolumeName,Findings_EN\nnot a NIfTI header at all, padding padding padding padding\n";
  EXPECT_THROW(NiftiImage::read(text), DataError);
  EXPECT_THROW(NiftiImage::read(dir.path / "missing.nii.gz"), IoError);
}

TEST(NiftiImage, SizesBeyondTheLimitsAreRejectedBeforeReadingVoxels) {
  TempDir dir;
  NiftiWriteSpec spec;
  spec.dims = {9, 2, 2};
  const auto voxels = nifti_ramp(36);
  write_nifti(dir.path / "wide.nii.gz", spec, voxels.data());
  NiftiLimits limits;
  limits.max_dim = 8;
  EXPECT_THROW(NiftiImage::read_header(dir.path / "wide.nii.gz", limits), DataError);
  limits = {};
  limits.max_voxels = 35;
  EXPECT_THROW(NiftiImage::read(dir.path / "wide.nii.gz", limits), DataError);
  EXPECT_NO_THROW(NiftiImage::read(dir.path / "wide.nii.gz"));
}

}  // namespace
}  // namespace cagcl::data::nifti
