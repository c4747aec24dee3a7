#include "data/volume_transforms.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/keyed_rng.hpp"

namespace cagcl::data {

Shape3 padded_shape(const Shape3& shape, const Shape3& min_shape) {
  Shape3 p{};
  for (size_t i = 0; i < 3; ++i) p[i] = std::max(shape[i], min_shape[i]);
  return p;
}

Shape3 pad_offset(const Shape3& shape, const Shape3& min_shape) {
  Shape3 o{};
  for (size_t i = 0; i < 3; ++i) o[i] = std::max<int64_t>(0, min_shape[i] - shape[i]) / 2;
  return o;
}

namespace {
void check_crop(const Shape3& padded, const Shape3& crop) {
  for (size_t i = 0; i < 3; ++i) {
    if (crop[i] < 1 || crop[i] > padded[i]) {
      throw UsageError(
          fmt::format("crop axis {}: size {} not in [1, {}] (pad to at least the crop)", i, crop[i], padded[i]));
    }
  }
}
}  // namespace

Augmentation random_augmentation(const Shape3& padded, const Shape3& crop, double flip_prob, uint64_t seed,
                                 int64_t epoch, int64_t sample_index) {
  check_crop(padded, crop);
  Augmentation a;
  a.box.size = crop;
  KeyedRng crop_rng(seed, RngPurpose::crop, static_cast<uint64_t>(epoch), static_cast<uint64_t>(sample_index));
  for (size_t i = 0; i < 3; ++i) {
    a.box.begin[i] = static_cast<int64_t>(crop_rng.below(static_cast<uint64_t>(padded[i] - crop[i] + 1)));
  }
  // Separate stream: changing flip_prob does not move the crops.
  KeyedRng flip_rng(seed, RngPurpose::flip, static_cast<uint64_t>(epoch), static_cast<uint64_t>(sample_index));
  for (size_t i = 0; i < 3; ++i) a.flip[i] = flip_rng.bernoulli(flip_prob);
  return a;
}

CropBox center_crop(const Shape3& padded, const Shape3& crop) {
  check_crop(padded, crop);
  CropBox box;
  box.size = crop;
  for (size_t i = 0; i < 3; ++i) box.begin[i] = (padded[i] - crop[i]) / 2;
  return box;
}

CropBox anatomy_crop(const uint8_t* anatomy, const Shape3& shape, const Shape3& min_shape, uint8_t label,
                     const Shape3& crop) {
  const Shape3 padded = padded_shape(shape, min_shape), offset = pad_offset(shape, min_shape);
  Shape3 lo{shape[0], shape[1], shape[2]}, hi{-1, -1, -1};
  size_t i = 0;
  for (int64_t z = 0; z < shape[0]; ++z) {
    for (int64_t y = 0; y < shape[1]; ++y) {
      for (int64_t x = 0; x < shape[2]; ++x, ++i) {
        if (anatomy[i] != label) continue;
        const Shape3 p{z, y, x};
        for (size_t k = 0; k < 3; ++k) lo[k] = std::min(lo[k], p[k]), hi[k] = std::max(hi[k], p[k]);
      }
    }
  }
  if (hi[0] < 0) return center_crop(padded, crop);
  check_crop(padded, crop);
  CropBox box;
  box.size = crop;
  for (size_t k = 0; k < 3; ++k) {
    const int64_t centre2 = lo[k] + hi[k] + 2 * offset[k];  // twice the box centre in the padded frame
    box.begin[k] = std::clamp<int64_t>((centre2 + 1 - crop[k]) / 2, 0, padded[k] - crop[k]);
  }
  return box;
}

void crop_flip_window(const int16_t* volume, const uint8_t* anatomy, const Shape3& shape, const Shape3& min_shape,
                      const CropBox& box, const std::array<bool, 3>& flip, double hu_min, double hu_max,
                      float* out_image, uint8_t* out_anatomy) {
  if (!(hu_max > hu_min)) throw UsageError(fmt::format("HU window [{}, {}] is empty", hu_min, hu_max));
  check_crop(padded_shape(shape, min_shape), box.size);
  const Shape3 offset = pad_offset(shape, min_shape);
  const float scale = static_cast<float>(1.0 / (hu_max - hu_min));
  const float lo = static_cast<float>(hu_min);
  const auto window = [&](int16_t hu) {
    return std::min(std::max((static_cast<float>(hu) - lo) * scale, 0.0f), 1.0f);  // min/max vectorise
  };
  const float pad_value = window(kPadHu);
  const int64_t D = box.size[0], H = box.size[1], W = box.size[2];
  for (int64_t z = 0; z < D; ++z) {
    // Source coordinate in the volume of output (z, y, x): un-flip, move to the padded frame, remove padding.
    const int64_t sz = box.begin[0] + (flip[0] ? D - 1 - z : z) - offset[0];
    for (int64_t y = 0; y < H; ++y) {
      const int64_t sy = box.begin[1] + (flip[1] ? H - 1 - y : y) - offset[1];
      float* img = out_image + (z * H + y) * W;
      uint8_t* lab = out_anatomy + (z * H + y) * W;
      if (sz < 0 || sz >= shape[0] || sy < 0 || sy >= shape[1]) {
        std::fill(img, img + W, pad_value);
        std::fill(lab, lab + W, uint8_t{0});
        continue;
      }
      const int64_t row = (sz * shape[1] + sy) * shape[2];
      // Output x maps to source sx = base + x (or base + W - 1 - x when flipped); find the x range whose
      // source lies inside the volume once, so the inner loops have no per-voxel bounds test.
      const int64_t base = box.begin[2] - offset[2];
      const int64_t x_lo = std::clamp<int64_t>(flip[2] ? base + W - shape[2] : -base, 0, W);
      const int64_t x_hi = std::clamp<int64_t>(flip[2] ? base + W : shape[2] - base, x_lo, W);
      std::fill(img, img + x_lo, pad_value);
      std::fill(lab, lab + x_lo, uint8_t{0});
      std::fill(img + x_hi, img + W, pad_value);
      std::fill(lab + x_hi, lab + W, uint8_t{0});
      const int16_t* v = volume + row;
      const uint8_t* m = anatomy + row;
      if (!flip[2]) {
        for (int64_t x = x_lo; x < x_hi; ++x) img[x] = window(v[base + x]);
        std::copy(m + base + x_lo, m + base + x_hi, lab + x_lo);
      } else {
        const int64_t last = base + W - 1;  // source of output x is last - x
        for (int64_t x = x_lo; x < x_hi; ++x) {
          img[x] = window(v[last - x]);
          lab[x] = m[last - x];
        }
      }
    }
  }
}

std::array<uint8_t, 256> labels_on_faces(const uint8_t* a, const Shape3& shape) {
  std::array<uint8_t, 256> on_face{};
  const int64_t D = shape[0], H = shape[1], W = shape[2];
  const auto mark_row = [&](const uint8_t* row, int64_t len) {
    for (int64_t x = 0; x < len; ++x) on_face[row[x]] = 1;
  };
  for (int64_t z = 0; z < D; ++z) {
    const uint8_t* slice = a + z * H * W;
    if (z == 0 || z == D - 1) {
      mark_row(slice, H * W);  // a whole z face
      continue;
    }
    mark_row(slice, W);                // y = 0
    mark_row(slice + (H - 1) * W, W);  // y = H - 1
    for (int64_t y = 1; y < H - 1; ++y) {
      on_face[slice[y * W]] = 1;          // x = 0
      on_face[slice[y * W + W - 1]] = 1;  // x = W - 1
    }
  }
  return on_face;
}

std::vector<uint8_t> intact_flags(const uint8_t* a, const Shape3& crop, int64_t num_anatomies,
                                  const std::array<uint8_t, 256>* volume_faces) {
  // Presence: one branch-free pass over all voxels; contact: the six faces only.
  std::array<uint8_t, 256> present{};
  const int64_t n = crop[0] * crop[1] * crop[2];
  for (int64_t i = 0; i < n; ++i) present[a[i]] = 1;
  const std::array<uint8_t, 256> on_face = labels_on_faces(a, crop);
  std::vector<uint8_t> intact(static_cast<size_t>(num_anatomies), 0);
  // Labels > A were rejected when the sample was read; anything above 255 cannot occur in uint8.
  for (int64_t k = 1; k <= num_anatomies && k < 256; ++k) {
    const auto label = static_cast<size_t>(k);
    const bool cut_by_volume = volume_faces != nullptr && (*volume_faces)[label] != 0;
    intact[static_cast<size_t>(k - 1)] = present[label] && !on_face[label] && !cut_by_volume;
  }
  return intact;
}

}  // namespace cagcl::data
