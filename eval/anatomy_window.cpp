#include "eval/anatomy_window.hpp"

#include <string>

#include "common/error.hpp"

namespace cagcl::eval {

std::vector<AnatomyWindow> anatomy_windows(const uint8_t* anatomy, const data::Shape3& shape,
                                           const data::Shape3& window, int64_t anatomies, double min_inside) {
  for (size_t k = 0; k < 3; ++k)
    if (window[k] < 1)
      throw UsageError("evaluation window: size " + std::to_string(window[k]) + " on axis " + std::to_string(k) +
                       " must be positive");
  if (!(min_inside >= 0 && min_inside <= 1))
    throw UsageError("evaluation window: the minimum inside fraction must be in [0, 1]");
  std::vector<AnatomyWindow> out(static_cast<size_t>(std::max<int64_t>(anatomies, 0)));
  const data::Shape3 offset = data::pad_offset(shape, window);
  for (int64_t a = 1; a <= anatomies; ++a) {
    AnatomyWindow& w = out[a - 1];
    w.box = data::anatomy_crop(anatomy, shape, window, static_cast<uint8_t>(a), window);
    // Window bounds in volume coordinates (padding voxels carry label 0, so they never count).
    data::Shape3 lo{}, hi{};
    for (size_t k = 0; k < 3; ++k) lo[k] = w.box.begin[k] - offset[k], hi[k] = lo[k] + window[k];
    size_t i = 0;
    for (int64_t z = 0; z < shape[0]; ++z) {
      const bool zin = z >= lo[0] && z < hi[0];
      for (int64_t y = 0; y < shape[1]; ++y) {
        const bool yin = zin && y >= lo[1] && y < hi[1];
        for (int64_t x = 0; x < shape[2]; ++x, ++i) {
          if (anatomy[i] != a) continue;
          ++w.voxels;
          w.inside += (yin && x >= lo[2] && x < hi[2]) ? 1 : 0;
        }
      }
    }
    if (w.voxels == 0)
      w.status = AnatomyStatus::absent;
    else if (static_cast<double>(w.inside) < min_inside * static_cast<double>(w.voxels))
      w.status = AnatomyStatus::partial;
    else
      w.status = AnatomyStatus::present;
  }
  return out;
}

}  // namespace cagcl::eval
