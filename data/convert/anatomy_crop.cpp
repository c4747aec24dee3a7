#include "data/convert/anatomy_crop.hpp"

#include <algorithm>
#include <cstring>

namespace cagcl::data::convert {

Box3 anatomy_box(const std::vector<uint8_t>& labels, const std::array<int64_t, 3>& shape,
                 const std::array<int64_t, 3>& margin) {
  std::array<int64_t, 3> lo = shape, hi = {-1, -1, -1};
  size_t i = 0;
  for (int64_t d = 0; d < shape[0]; ++d) {
    for (int64_t h = 0; h < shape[1]; ++h) {
      const uint8_t* row = labels.data() + i;
      int64_t first = -1, last = -1;
      for (int64_t w = 0; w < shape[2]; ++w) {
        if (row[w] != 0) {
          if (first < 0) first = w;
          last = w;
        }
      }
      i += static_cast<size_t>(shape[2]);
      if (first < 0) continue;
      lo = {std::min(lo[0], d), std::min(lo[1], h), std::min(lo[2], first)};
      hi = {std::max(hi[0], d), std::max(hi[1], h), std::max(hi[2], last)};
    }
  }
  Box3 box;
  if (hi[0] < 0) return box;
  for (int a = 0; a < 3; ++a) {
    box.begin[a] = std::max<int64_t>(0, lo[a] - margin[a]);
    box.end[a] = std::min<int64_t>(shape[a], hi[a] + 1 + margin[a]);
  }
  return box;
}

template <class T>
std::vector<T> crop(const std::vector<T>& volume, const std::array<int64_t, 3>& shape, const Box3& box) {
  const auto size = box.size();
  std::vector<T> out(static_cast<size_t>(size[0] * size[1] * size[2]));
  T* dst = out.data();
  for (int64_t d = box.begin[0]; d < box.end[0]; ++d) {
    for (int64_t h = box.begin[1]; h < box.end[1]; ++h) {
      const T* src = volume.data() + (d * shape[1] + h) * shape[2] + box.begin[2];
      std::memcpy(dst, src, static_cast<size_t>(size[2]) * sizeof(T));
      dst += size[2];
    }
  }
  return out;
}

template std::vector<int16_t> crop(const std::vector<int16_t>&, const std::array<int64_t, 3>&, const Box3&);
template std::vector<uint8_t> crop(const std::vector<uint8_t>&, const std::array<int64_t, 3>&, const Box3&);
template std::vector<float> crop(const std::vector<float>&, const std::array<int64_t, 3>&, const Box3&);

}  // namespace cagcl::data::convert
