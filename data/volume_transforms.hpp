#pragma once
// Pure functions from a stored volume + anatomy map to the network's input: pad to a minimum size, crop
// (random in training, centred or around one anatomy in evaluation), flip each axis, window HU to [0, 1],
// and the per-anatomy "intact" flags. No torch: plain buffers in C order (D, H, W).
//
// Padding is virtual: a crop box lives in the *padded* frame, where the volume sits at pad_offset(); voxels
// of the box outside the volume read as `pad_hu` (label 0). That avoids a padded copy of the volume.
#include <array>
#include <cstdint>
#include <vector>

namespace cagcl::data {

using Shape3 = std::array<int64_t, 3>;  // D, H, W

// HU of the voxels added by padding: air, which is what surrounds a body in CT (windowed to ~0.08 with the
// default window [-1150, 350]; the anatomy label of padding is 0).
inline constexpr int16_t kPadHu = -1024;

// Shape after padding `shape` to at least `min_shape` on every axis, and where the volume starts in it
// (padding is split evenly, the odd voxel after the volume).
Shape3 padded_shape(const Shape3& shape, const Shape3& min_shape);
Shape3 pad_offset(const Shape3& shape, const Shape3& min_shape);

// A crop: `begin` in the padded frame, size = the crop size.
struct CropBox {
  Shape3 begin{0, 0, 0};
  Shape3 size{0, 0, 0};
};

// Randomness of one training sample: a pure function of (seed, epoch, sample index).
struct Augmentation {
  CropBox box;
  std::array<bool, 3> flip{false, false, false};
};
// Random crop (uniform over all positions in the padded frame) and an independent flip of each axis with
// probability flip_prob. UsageError when crop has a non-positive size.
Augmentation random_augmentation(const Shape3& padded, const Shape3& crop, double flip_prob, uint64_t seed,
                                 int64_t epoch, int64_t sample_index);
// Evaluation: the centred crop.
CropBox center_crop(const Shape3& padded, const Shape3& crop);
// Evaluation: a crop centred on the bounding box of anatomy `label` (1-based), shifted to stay inside the
// padded frame. `anatomy` is the *unpadded* map of `shape`. Centre crop when the anatomy is absent.
CropBox anatomy_crop(const uint8_t* anatomy, const Shape3& shape, const Shape3& min_shape, uint8_t label,
                     const Shape3& crop);

// Crops, flips and windows in one pass: out_image[i] = clamp((hu - hu_min) / (hu_max - hu_min), 0, 1),
// out_anatomy the label map of the same voxels. Outputs hold crop-size voxels. `shape` and `min_shape`
// define the padded frame as above.
void crop_flip_window(const int16_t* volume, const uint8_t* anatomy, const Shape3& shape, const Shape3& min_shape,
                      const CropBox& box, const std::array<bool, 3>& flip, double hu_min, double hu_max,
                      float* out_image, uint8_t* out_anatomy);

// Per label value: 1 when the value occurs on one of the six faces of the label map `shape`.
std::array<uint8_t, 256> labels_on_faces(const uint8_t* anatomy, const Shape3& shape);

// Per anatomy a = 1..num_anatomies (index a-1): true when the anatomy has a voxel in the crop and none on any
// of its six faces (METHOD.md: an anatomy touching a crop face is not intact; an absent one is not intact).
// `volume_faces` (labels_on_faces of the whole, unpadded volume), when given, also rules out an anatomy that
// the volume itself cuts: a crop that reaches into the padding would otherwise show such an organ whole.
std::vector<uint8_t> intact_flags(const uint8_t* crop_anatomy, const Shape3& crop, int64_t num_anatomies,
                                  const std::array<uint8_t, 256>* volume_faces = nullptr);

}  // namespace cagcl::data
