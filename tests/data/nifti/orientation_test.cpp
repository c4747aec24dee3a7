// Reorientation into the Sample frame (D superior->inferior, H anterior->posterior, W right->left).
#include "data/nifti/orientation.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "common/error.hpp"

namespace cagcl::data::nifti {
namespace {

TEST(Orientation, CtRateStandardOrientationFlipsOnlyTheSlices) {
  // ImageOrientationPatient [1,0,0,0,1,0]: i to the left, j to posterior, k (= i x j) to superior.
  const auto g = geometry_from_dicom({1, 0, 0, 0, 1, 0}, 0.7, 0.8, 1.5, "test");
  const auto r = canonical_reorientation(g, "test");
  EXPECT_EQ(r.source_axis, (std::array<int, 3>{0, 1, 2}));
  EXPECT_EQ(r.flip, (std::array<bool, 3>{true, false, false}));
  EXPECT_EQ(reoriented_spacing(g, r), (std::array<double, 3>{1.5, 0.8, 0.7}));
  // [k][j][i] = 2 x 1 x 2: slice k = 1 (superior) becomes d = 0.
  const std::vector<int16_t> src = {1, 2, 3, 4};
  EXPECT_EQ(reorient(src, {2, 1, 2}, r), (std::vector<int16_t>{3, 4, 1, 2}));
}

TEST(Orientation, NiftiRasAffineGivesTheSameFrameAsDicomFields) {
  // The RAS affine of the same acquisition: x and y of LPS change sign.
  Matrix4 a = identity4();
  a[0] = {-0.7, 0, 0, 0};
  a[1] = {0, -0.8, 0, 0};
  a[2] = {0, 0, 1.5, 0};
  const auto from_header = canonical_reorientation(geometry_from_ras_affine(a, "h"), "h");
  const auto from_dicom = canonical_reorientation(geometry_from_dicom({1, 0, 0, 0, 1, 0}, 0.7, 0.8, 1.5, "d"), "d");
  EXPECT_EQ(from_header.source_axis, from_dicom.source_axis);
  EXPECT_EQ(from_header.flip, from_dicom.flip);
}

TEST(Orientation, PermutedAndFlippedAxesLandInTheSampleFrame) {
  // A sagittal stack: i runs to posterior, j to inferior, k to the patient's right.
  IndexGeometry g;
  g.direction = {Vec3{0, 1, 0}, Vec3{0, 0, -1}, Vec3{-1, 0, 0}};
  g.spacing = {0.5, 2.0, 3.0};  // along i, j, k
  const auto r = canonical_reorientation(g, "sagittal");
  // D <- j (already inferior-going), H <- i, W <- k reversed.
  EXPECT_EQ(r.source_axis, (std::array<int, 3>{1, 2, 0}));
  EXPECT_EQ(r.flip, (std::array<bool, 3>{false, false, true}));
  EXPECT_EQ(reoriented_spacing(g, r), (std::array<double, 3>{2.0, 0.5, 3.0}));
  const std::array<int64_t, 3> shape = {2, 3, 4};  // [k][j][i]
  std::vector<int16_t> src(24);
  std::iota(src.begin(), src.end(), 0);
  const auto out = reorient(src, shape, r);
  const auto out_shape = reoriented_shape(shape, r);
  ASSERT_EQ(out_shape, (std::array<int64_t, 3>{3, 4, 2}));
  for (int64_t d = 0; d < 3; ++d)
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t w = 0; w < 2; ++w) {
        const int64_t k = 1 - w, j = d, i = h;
        EXPECT_EQ(out[static_cast<size_t>((d * 4 + h) * 2 + w)], src[static_cast<size_t>((k * 3 + j) * 4 + i)]);
      }
}

TEST(Orientation, TwoAxesAlongOnePatientAxisIsADataError) {
  IndexGeometry g;
  g.direction = {Vec3{1, 0, 0}, Vec3{0.9, 0.1, 0}, Vec3{0, 0, 1}};
  EXPECT_THROW(canonical_reorientation(g, "bad"), DataError);
  EXPECT_THROW(geometry_from_dicom({1, 0, 0, 1, 0, 0}, 1, 1, 1, "parallel"), DataError);
}

}  // namespace
}  // namespace cagcl::data::nifti
