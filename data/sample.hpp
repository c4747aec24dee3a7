#pragma once
// One CT study as stored in a shard: the volume, its anatomy label map, the report split by anatomy,
// and the labels. Plain data; the HDF5 layout is in docs/dataset-format.md.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cagcl::data {

struct Sample {
  std::string name;     // unique volume name, e.g. "train_12_a_1"
  std::string patient;  // patient id; all scans of a patient share a split
  std::string split;    // "train" or "valid"

  std::array<int64_t, 3> shape{0, 0, 0};   // D, H, W (D = axial slices)
  std::array<double, 3> spacing{1, 1, 1};  // z, y, x in mm
  std::vector<int16_t> volume;             // Hounsfield units, D*H*W, C order
  std::vector<uint8_t> anatomy;            // 0 = background, k = k-th anatomy of the list, D*H*W

  // Per anatomy (index a = label value - 1): report sentences, conclusion (impression) sentences kept
  // apart from description (findings) sentences. Both empty <=> the anatomy is normal.
  std::vector<std::vector<std::string>> conclusion;
  std::vector<std::vector<std::string>> description;
  std::vector<uint8_t> normal;    // [A] 1 when the anatomy has no sentence
  std::vector<uint64_t> text_id;  // [A] canonical text id (see text_id.hpp)
  std::vector<uint8_t> labels;    // [num_labels] 0/1, dataset label order

  std::string findings;    // the whole free-text findings section of the report
  std::string impression;  // the whole free-text impression section

  int64_t voxels() const { return shape[0] * shape[1] * shape[2]; }
};

}  // namespace cagcl::data
