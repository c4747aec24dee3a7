#include "data/convert/resample.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/error.hpp"

namespace cagcl::data::convert {
namespace {

struct Tap {
  int64_t lo = 0;
  int64_t hi = 0;
  float w = 0;  // weight of hi
};

std::vector<Tap> linear_taps(int64_t n_in, int64_t n_out, double ratio) {
  std::vector<Tap> taps(static_cast<size_t>(n_out));
  for (int64_t o = 0; o < n_out; ++o) {
    const double x = std::min(static_cast<double>(o) * ratio, static_cast<double>(n_in - 1));
    Tap t;
    t.lo = static_cast<int64_t>(std::floor(x));
    t.hi = std::min(t.lo + 1, n_in - 1);
    t.w = static_cast<float>(x - static_cast<double>(t.lo));
    taps[static_cast<size_t>(o)] = t;
  }
  return taps;
}

// Resamples axis `axis` of a C-order [s0][s1][s2] array.
std::vector<float> pass(const std::vector<float>& in, const Shape3& shape, int axis, int64_t n_out, double ratio) {
  if (n_out == shape[axis] && ratio == 1.0) return in;
  const auto taps = linear_taps(shape[axis], n_out, ratio);
  Shape3 out_shape = shape;
  out_shape[axis] = n_out;
  std::vector<float> out(static_cast<size_t>(out_shape[0] * out_shape[1] * out_shape[2]));
  const int64_t outer = axis == 0 ? 1 : (axis == 1 ? shape[0] : shape[0] * shape[1]);
  const int64_t inner = axis == 0 ? shape[1] * shape[2] : (axis == 1 ? shape[2] : 1);
  for (int64_t a = 0; a < outer; ++a) {
    const float* src = in.data() + a * shape[axis] * inner;
    float* dst = out.data() + a * n_out * inner;
    for (int64_t o = 0; o < n_out; ++o) {
      const Tap& t = taps[static_cast<size_t>(o)];
      const float* lo = src + t.lo * inner;
      const float* hi = src + t.hi * inner;
      float* d = dst + o * inner;
      for (int64_t b = 0; b < inner; ++b) d[b] = lo[b] + t.w * (hi[b] - lo[b]);
    }
  }
  return out;
}

// The spacings are checked by resampled_shape, which every resampling calls first.
void check_sizes(const Shape3& shape, size_t size) {
  if (static_cast<int64_t>(size) != shape[0] * shape[1] * shape[2]) throw UsageError("resample: size != shape");
}

}  // namespace

Shape3 resampled_shape(const Shape3& shape, const Spacing3& from, const Spacing3& to) {
  Shape3 out{};
  double voxels = 1;
  for (int a = 0; a < 3; ++a) {
    if (!(from[a] > 0) || !(to[a] > 0) || !std::isfinite(from[a]) || !std::isfinite(to[a]))
      throw UsageError("resample: spacings must be finite and positive");
    // In doubles first: the product of three large axes, or one huge axis, must be refused before it
    // overflows an int64 or sizes an allocation.
    const double n = std::max(1.0, std::round(static_cast<double>(shape[a]) * from[a] / to[a]));
    voxels *= n;
    if (!(n <= static_cast<double>(kMaxResampledAxis)) || !(voxels <= static_cast<double>(kMaxResampledVoxels)))
      throw UsageError(fmt::format(
          "--spacing {},{},{}: resampling a {}x{}x{} volume of spacing {},{},{} mm gives {:.3g} voxels along an axis "
          "or {:.3g} in all, over the limits of {} per axis and {} in all; choose a coarser --spacing",
          to[0], to[1], to[2], shape[0], shape[1], shape[2], from[0], from[1], from[2], n, voxels, kMaxResampledAxis,
          kMaxResampledVoxels));
    out[a] = static_cast<int64_t>(n);
  }
  return out;
}

std::vector<float> resample_linear(const std::vector<float>& volume, const Shape3& shape, const Spacing3& from,
                                   const Spacing3& to) {
  check_sizes(shape, volume.size());
  const Shape3 target = resampled_shape(shape, from, to);
  // The axis that shrinks most goes first, so later passes touch fewer voxels.
  std::vector<float> v = volume;
  Shape3 s = shape;
  std::array<int, 3> order = {0, 1, 2};
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return static_cast<double>(target[a]) / static_cast<double>(shape[a]) <
           static_cast<double>(target[b]) / static_cast<double>(shape[b]);
  });
  for (int axis : order) {
    v = pass(v, s, axis, target[axis], to[axis] / from[axis]);
    s[axis] = target[axis];
  }
  return v;
}

std::vector<uint8_t> resample_nearest(const std::vector<uint8_t>& labels, const Shape3& shape, const Spacing3& from,
                                      const Spacing3& to) {
  check_sizes(shape, labels.size());
  const Shape3 target = resampled_shape(shape, from, to);
  std::array<std::vector<int64_t>, 3> index;
  for (int a = 0; a < 3; ++a) {
    const double ratio = to[a] / from[a];
    index[a].resize(static_cast<size_t>(target[a]));
    for (int64_t o = 0; o < target[a]; ++o) {
      // Half-way ties go up (floor(x + 0.5)), as SimpleITK's nearest-neighbour interpolator does.
      const int64_t i = static_cast<int64_t>(std::floor(static_cast<double>(o) * ratio + 0.5));
      index[a][static_cast<size_t>(o)] = std::min(i, shape[a] - 1);
    }
  }
  std::vector<uint8_t> out(static_cast<size_t>(target[0] * target[1] * target[2]));
  size_t o = 0;
  for (int64_t d = 0; d < target[0]; ++d) {
    for (int64_t h = 0; h < target[1]; ++h) {
      const uint8_t* row =
          labels.data() + (index[0][static_cast<size_t>(d)] * shape[1] + index[1][static_cast<size_t>(h)]) * shape[2];
      for (int64_t w = 0; w < target[2]; ++w) out[o++] = row[index[2][static_cast<size_t>(w)]];
    }
  }
  return out;
}

}  // namespace cagcl::data::convert
