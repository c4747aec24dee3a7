// Resampling to a target spacing: identity, exactness on linear ramps, nearest-neighbour labels, crop box.
#include "data/convert/resample.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "data/convert/anatomy_crop.hpp"

namespace cagcl::data::convert {
namespace {

float ramp(double d, double h, double w) { return static_cast<float>(3 * d - 2 * h + 0.5 * w + 7); }

TEST(Resample, SameSpacingIsTheIdentity) {
  const Shape3 shape = {3, 4, 5};
  std::vector<float> v(60);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i * i % 17);
  EXPECT_EQ(resample_linear(v, shape, {2, 1, 1}, {2, 1, 1}), v);
  std::vector<uint8_t> l(60);
  for (size_t i = 0; i < l.size(); ++i) l[i] = static_cast<uint8_t>(i % 5);
  EXPECT_EQ(resample_nearest(l, shape, {2, 1, 1}, {2, 1, 1}), l);
}

TEST(Resample, TrilinearReproducesALinearFunctionAtTheNewVoxelCentres) {
  const Shape3 shape = {6, 8, 10};
  const Spacing3 from = {3, 1, 1}, to = {1.5, 2, 0.8};
  std::vector<float> v(static_cast<size_t>(shape[0] * shape[1] * shape[2]));
  for (int64_t d = 0; d < shape[0]; ++d)
    for (int64_t h = 0; h < shape[1]; ++h)
      for (int64_t w = 0; w < shape[2]; ++w) v[static_cast<size_t>((d * shape[1] + h) * shape[2] + w)] = ramp(d, h, w);
  const auto out = resample_linear(v, shape, from, to);
  const Shape3 s = resampled_shape(shape, from, to);
  ASSERT_EQ(s, (Shape3{12, 4, 13}));
  for (int64_t d = 0; d < s[0]; ++d)
    for (int64_t h = 0; h < s[1]; ++h)
      for (int64_t w = 0; w < s[2]; ++w) {
        // Positions past the last input voxel clamp to it.
        const double x[3] = {std::min(d * to[0] / from[0], 5.0), std::min(h * to[1] / from[1], 7.0),
                             std::min(w * to[2] / from[2], 9.0)};
        EXPECT_NEAR(out[static_cast<size_t>((d * s[1] + h) * s[2] + w)], ramp(x[0], x[1], x[2]), 1e-4);
      }
}

TEST(Resample, NearestKeepsLabelValuesAndPicksTheClosestVoxel) {
  const Shape3 shape = {1, 1, 6};
  const std::vector<uint8_t> l = {0, 1, 2, 3, 4, 5};
  // Half the spacing: output o samples input o/2 rounded half up: 0 1 1 2 2 3 3 4 4 5 5 5.
  EXPECT_EQ(resample_nearest(l, shape, {1, 1, 1}, {1, 1, 0.5}),
            (std::vector<uint8_t>{0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5}));
  // Twice the spacing: 0 2 4.
  EXPECT_EQ(resample_nearest(l, shape, {1, 1, 1}, {1, 1, 2}), (std::vector<uint8_t>{0, 2, 4}));
}

// A tiny target spacing (e.g. `--spacing 0.001,0.001,0.001`) must be refused before anything is allocated, with
// an error naming the flag: the grid is bounded, and the int64 voxel product can no longer overflow.
TEST(Resample, ATargetGridOverTheVoxelLimitIsRefusedNamingTheSpacingFlag) {
  const Shape3 shape{100, 512, 512};
  const Spacing3 from{1.5, 0.7, 0.7};
  for (const double tiny : {0.001, 1e-9, 1e-300}) {
    const Spacing3 to{tiny, tiny, tiny};
    try {
      (void)resampled_shape(shape, from, to);
      FAIL() << "a target spacing of " << tiny << " mm was accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--spacing"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(
      resample_nearest(std::vector<uint8_t>(static_cast<size_t>(2 * 2 * 2)), {2, 2, 2}, {1, 1, 1}, {1e-6, 1e-6, 1e-6}),
      UsageError);
  // The limit leaves real CT grids alone: CT-RATE at 0.75 mm in-plane and 1.5 mm slices.
  EXPECT_NO_THROW((void)resampled_shape({300, 512, 512}, {1.0, 0.7, 0.7}, {1.5, 0.75, 0.75}));
}

TEST(AnatomyCrop, BoxIsTheLabelledExtentPlusMarginClippedToTheVolume) {
  const std::array<int64_t, 3> shape = {4, 5, 6};
  std::vector<uint8_t> l(120, 0);
  l[(1 * 5 + 2) * 6 + 3] = 1;
  l[(2 * 5 + 3) * 6 + 1] = 2;
  const Box3 box = anatomy_box(l, shape, {1, 0, 10});
  EXPECT_EQ(box.begin, (std::array<int64_t, 3>{0, 2, 0}));
  EXPECT_EQ(box.end, (std::array<int64_t, 3>{4, 4, 6}));
  const auto cropped = crop(l, shape, box);
  EXPECT_EQ(cropped.size(), 4u * 2 * 6);
  EXPECT_EQ(cropped[(1 * 2 + 0) * 6 + 3], 1);
  EXPECT_EQ(cropped[(2 * 2 + 1) * 6 + 1], 2);
  EXPECT_EQ(anatomy_box(std::vector<uint8_t>(120, 0), shape, {1, 1, 1}).size()[0], 0);
}

}  // namespace
}  // namespace cagcl::data::convert
