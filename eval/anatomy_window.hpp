#pragma once
// The evaluation window of each anatomy (fVLM's test-time crop, METHOD.md): a fixed-size window centred on
// the anatomy's bounding box, inside the volume padded to at least the window (virtual padding, see
// data/volume_transforms.hpp). The window size is a multiple of the vision patch (the training crop by
// default), so every window yields the token grid the model was trained on. An anatomy with less than
// `min_inside` of its voxels inside its window is dropped, as fVLM drops it: its embedding would describe a
// part of the organ only. No torch.
#include <cstdint>
#include <vector>

#include "data/volume_transforms.hpp"
#include "eval/zero_shot.hpp"

namespace cagcl::eval {

struct AnatomyWindow {
  data::CropBox box;   // in the padded frame of (shape, window)
  int64_t voxels = 0;  // voxels of the anatomy in the volume
  int64_t inside = 0;  // of which inside the window
  AnatomyStatus status = AnatomyStatus::absent;
};

// One window per anatomy label 1..anatomies (index a-1). UsageError when the window has a non-positive size
// or min_inside is not in [0, 1].
std::vector<AnatomyWindow> anatomy_windows(const uint8_t* anatomy, const data::Shape3& shape,
                                           const data::Shape3& window, int64_t anatomies, double min_inside);

}  // namespace cagcl::eval
