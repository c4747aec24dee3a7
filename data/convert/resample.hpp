#pragma once
// Resampling a [D,H,W] volume to another voxel spacing, as fVLM's preprocessing does: trilinear for
// intensities, nearest neighbour for label maps. The grid keeps its first voxel centre (SimpleITK's
// convention with the output origin = the input origin): output voxel o along an axis samples the input at
// o * new_spacing / old_spacing, clamped to the last input voxel; the output has round(n * old / new)
// voxels (at least 1). Trilinear is done as three separable linear passes, which gives exactly trilinear
// interpolation.
#include <array>
#include <cstdint>
#include <vector>

namespace cagcl::data::convert {

using Shape3 = std::array<int64_t, 3>;
using Spacing3 = std::array<double, 3>;

// Bounds of a resampled grid: 4096 voxels per axis (0.1 mm over 40 cm) and 2^30 voxels in all (4 GiB as
// float32, the type the intensities are resampled in).
inline constexpr int64_t kMaxResampledAxis = 4096;
inline constexpr int64_t kMaxResampledVoxels = int64_t{1} << 30;

// The output grid; UsageError naming --spacing when it exceeds the bounds above.
Shape3 resampled_shape(const Shape3& shape, const Spacing3& from, const Spacing3& to);

std::vector<float> resample_linear(const std::vector<float>& volume, const Shape3& shape, const Spacing3& from,
                                   const Spacing3& to);
std::vector<uint8_t> resample_nearest(const std::vector<uint8_t>& labels, const Shape3& shape, const Spacing3& from,
                                      const Spacing3& to);

}  // namespace cagcl::data::convert
