#include <gtest/gtest.h>

#include <algorithm>

#include "common/error.hpp"
#include "data/volume_transforms.hpp"

namespace cagcl::data {
namespace {

size_t at(const Shape3& s, int64_t z, int64_t y, int64_t x) { return static_cast<size_t>((z * s[1] + y) * s[2] + x); }

TEST(VolumeTransforms, AugmentationIsAPureFunctionOfSeedEpochAndIndex) {
  const Shape3 padded{20, 30, 40}, crop{8, 10, 12};
  const auto a = random_augmentation(padded, crop, 0.5, 42, 3, 17);
  const auto b = random_augmentation(padded, crop, 0.5, 42, 3, 17);
  EXPECT_EQ(a.box.begin, b.box.begin);
  EXPECT_EQ(a.flip, b.flip);
  // Another epoch (or sample) gives other crops: over a few keys at least one differs.
  int differ_epoch = 0, differ_index = 0;
  for (int k = 0; k < 8; ++k) {
    const auto e = random_augmentation(padded, crop, 0.5, 42, 4 + k, 17);
    const auto i = random_augmentation(padded, crop, 0.5, 42, 3, 18 + k);
    differ_epoch += e.box.begin != a.box.begin || e.flip != a.flip;
    differ_index += i.box.begin != a.box.begin || i.flip != a.flip;
  }
  EXPECT_GE(differ_epoch, 7);
  EXPECT_GE(differ_index, 7);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_GE(a.box.begin[i], 0);
    EXPECT_LE(a.box.begin[i] + crop[i], padded[i]);
  }
}

TEST(VolumeTransforms, FlipProbabilityZeroAndOne) {
  for (int k = 0; k < 20; ++k) {
    EXPECT_EQ(random_augmentation({9, 9, 9}, {4, 4, 4}, 0.0, 1, 0, k).flip, (std::array<bool, 3>{false, false, false}));
    EXPECT_EQ(random_augmentation({9, 9, 9}, {4, 4, 4}, 1.0, 1, 0, k).flip, (std::array<bool, 3>{true, true, true}));
  }
}

TEST(VolumeTransforms, CropFlipWindowMapsVoxelsAndPads) {
  const Shape3 shape{2, 3, 4};
  std::vector<int16_t> vol(24);
  std::vector<uint8_t> lab(24);
  for (size_t i = 0; i < 24; ++i)
    vol[i] = static_cast<int16_t>(-1000 + 100 * static_cast<int>(i)), lab[i] = static_cast<uint8_t>(i % 3);
  // Pad to (4, 3, 4): one padded slice before and after. Crop the whole padded frame, flip W.
  const Shape3 min_shape{4, 3, 4}, crop{4, 3, 4};
  std::vector<float> img(48);
  std::vector<uint8_t> out(48);
  crop_flip_window(vol.data(), lab.data(), shape, min_shape, CropBox{{0, 0, 0}, crop}, {false, false, true}, -1100, 900,
                   img.data(), out.data());
  const float pad = (kPadHu + 1100) / 2000.0f;
  EXPECT_FLOAT_EQ(img[at(crop, 0, 1, 1)], pad);
  EXPECT_EQ(out[at(crop, 3, 2, 3)], 0);
  // Output (1, y, x) = volume (0, y, 3 - x).
  for (int64_t y = 0; y < 3; ++y) {
    for (int64_t x = 0; x < 4; ++x) {
      const size_t src = at(shape, 0, y, 3 - x);
      EXPECT_FLOAT_EQ(img[at(crop, 1, y, x)], std::clamp((vol[src] + 1100) / 2000.0f, 0.0f, 1.0f));
      EXPECT_EQ(out[at(crop, 1, y, x)], lab[src]);
    }
  }
  EXPECT_FLOAT_EQ(img[at(crop, 2, 2, 0)], 1.0f);  // 1300 HU clamps to 1
  EXPECT_THROW(crop_flip_window(vol.data(), lab.data(), shape, min_shape, CropBox{{0, 0, 0}, crop}, {}, 5, 5,
                                img.data(), out.data()),
               UsageError);
}

TEST(VolumeTransforms, CropFlipWindowMatchesANaiveReference) {
  const Shape3 shape{5, 7, 6}, min_shape{7, 8, 9}, crop{4, 5, 6};
  std::vector<int16_t> vol(5 * 7 * 6);
  std::vector<uint8_t> lab(vol.size());
  for (size_t i = 0; i < vol.size(); ++i)
    vol[i] = static_cast<int16_t>(i * 13 % 1500 - 1150), lab[i] = static_cast<uint8_t>(i % 5);
  const Shape3 padded = padded_shape(shape, min_shape), off = pad_offset(shape, min_shape);
  EXPECT_EQ(padded, (Shape3{7, 8, 9}));
  EXPECT_EQ(off, (Shape3{1, 0, 1}));
  for (int k = 0; k < 40; ++k) {
    const Augmentation aug = random_augmentation(padded, crop, 0.5, 3, 0, k);
    std::vector<float> img(120);
    std::vector<uint8_t> out(120);
    crop_flip_window(vol.data(), lab.data(), shape, min_shape, aug.box, aug.flip, -1150, 350, img.data(), out.data());
    for (int64_t z = 0; z < 4; ++z) {
      for (int64_t y = 0; y < 5; ++y) {
        for (int64_t x = 0; x < 6; ++x) {
          const Shape3 o{z, y, x};
          Shape3 src{};
          bool inside = true;
          for (size_t i = 0; i < 3; ++i) {
            src[i] = aug.box.begin[i] + (aug.flip[i] ? crop[i] - 1 - o[i] : o[i]) - off[i];
            inside = inside && src[i] >= 0 && src[i] < shape[i];
          }
          const int hu = inside ? vol[at(shape, src[0], src[1], src[2])] : kPadHu;
          EXPECT_FLOAT_EQ(img[at(crop, z, y, x)], std::clamp((hu + 1150) / 1500.0f, 0.0f, 1.0f));
          EXPECT_EQ(out[at(crop, z, y, x)], inside ? lab[at(shape, src[0], src[1], src[2])] : 0);
        }
      }
    }
  }
}

TEST(VolumeTransforms, IntactUnlessTouchingAFaceOrAbsent) {
  const Shape3 crop{5, 6, 7};
  std::vector<uint8_t> map(5 * 6 * 7, 0);
  map[at(crop, 2, 3, 3)] = 1;  // anatomy 1: interior only -> intact
  map[at(crop, 1, 1, 1)] = 2;  // anatomy 2: interior and one voxel on the x = W-1 face -> not intact
  map[at(crop, 3, 2, 6)] = 2;
  map[at(crop, 0, 2, 2)] = 3;  // anatomy 3: on the z = 0 face only -> not intact
  // anatomy 4 absent -> not intact
  EXPECT_EQ(intact_flags(map.data(), crop, 4), (std::vector<uint8_t>{1, 0, 0, 0}));
  map[at(crop, 2, 0, 3)] = 1;  // now anatomy 1 touches the y = 0 face
  EXPECT_EQ(intact_flags(map.data(), crop, 4)[0], 0);
}

TEST(VolumeTransforms, AnatomyCutByTheVolumeIsNotIntactEvenInsideAPaddedCrop) {
  // A 4x4x4 volume padded to a 6x6x6 crop: anatomy 1 lies on the volume's z = 0 face, which the crop shows
  // one voxel inside its own faces; anatomy 2 is interior to the volume.
  const Shape3 shape{4, 4, 4}, crop{6, 6, 6};
  std::vector<uint8_t> volume(4 * 4 * 4, 0);
  std::vector<int16_t> hu(4 * 4 * 4, 0);
  volume[at(shape, 0, 1, 1)] = 1;
  volume[at(shape, 1, 1, 1)] = 1;
  volume[at(shape, 2, 2, 2)] = 2;
  std::vector<float> image(6 * 6 * 6);
  std::vector<uint8_t> cropped(6 * 6 * 6);
  crop_flip_window(hu.data(), volume.data(), shape, crop, center_crop(padded_shape(shape, crop), crop),
                   {false, false, false}, -1000, 1000, image.data(), cropped.data());
  EXPECT_EQ(intact_flags(cropped.data(), crop, 2), (std::vector<uint8_t>{1, 1})) << "the crop alone sees both whole";
  const auto faces = labels_on_faces(volume.data(), shape);
  EXPECT_EQ(faces[1], 1);
  EXPECT_EQ(faces[2], 0);
  EXPECT_EQ(intact_flags(cropped.data(), crop, 2, &faces), (std::vector<uint8_t>{0, 1}));
}

TEST(VolumeTransforms, CentreAndAnatomyCrops) {
  EXPECT_EQ(center_crop({10, 20, 30}, {4, 10, 10}).begin, (Shape3{3, 5, 10}));
  const Shape3 shape{10, 20, 30};
  std::vector<uint8_t> map(10 * 20 * 30, 0);
  map[at(shape, 7, 4, 26)] = 2;
  map[at(shape, 9, 6, 28)] = 2;
  // Box centre (8, 5, 27): crop of 4x4x4 would start at (6, 3, 25), clamped to stay inside: (6, 3, 25).
  EXPECT_EQ(anatomy_crop(map.data(), shape, {1, 1, 1}, 2, {4, 4, 4}).begin, (Shape3{6, 3, 25}));
  // A crop of 6 along W near the far face is shifted inside: begin <= 30 - 6.
  EXPECT_EQ(anatomy_crop(map.data(), shape, {1, 1, 1}, 2, {4, 4, 6}).begin[2], 24);
  // Absent anatomy: centre crop.
  EXPECT_EQ(anatomy_crop(map.data(), shape, {1, 1, 1}, 3, {4, 4, 4}).begin, center_crop(shape, {4, 4, 4}).begin);
  // Padding moves the frame: pad D to 14 -> offset 2.
  EXPECT_EQ(anatomy_crop(map.data(), shape, {14, 1, 1}, 2, {4, 4, 4}).begin[0], 8);
}

}  // namespace
}  // namespace cagcl::data
