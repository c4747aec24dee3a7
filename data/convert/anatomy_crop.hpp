#pragma once
// Cropping a converted volume to its anatomies (fVLM): the bounding box of all anatomy voxels plus a margin
// (5 slices along D, 20 voxels along H and W by default), clipped to the volume.
#include <array>
#include <cstdint>
#include <vector>

namespace cagcl::data::convert {

struct Box3 {
  std::array<int64_t, 3> begin{0, 0, 0};
  std::array<int64_t, 3> end{0, 0, 0};  // exclusive
  std::array<int64_t, 3> size() const { return {end[0] - begin[0], end[1] - begin[1], end[2] - begin[2]}; }
};

// Bounding box of labels > 0, grown by `margin` and clipped to `shape`. Empty (size 0) when no voxel is
// labelled.
Box3 anatomy_box(const std::vector<uint8_t>& labels, const std::array<int64_t, 3>& shape,
                 const std::array<int64_t, 3>& margin);

template <class T>
std::vector<T> crop(const std::vector<T>& volume, const std::array<int64_t, 3>& shape, const Box3& box);

}  // namespace cagcl::data::convert
