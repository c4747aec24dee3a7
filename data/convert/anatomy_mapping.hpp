#pragma once
// Which segmentation classes (e.g. TotalSegmentator v2 class ids) make up each anatomy of a converted
// dataset, loaded from a YAML file (configs/totalsegmentator_v2.yaml), and the merge itself.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cagcl::data::convert {

struct AnatomyMapping {
  std::vector<std::string> anatomies;     // label value k = anatomies[k-1]
  std::array<uint8_t, 256> anatomy_of{};  // segmentation class -> anatomy label value (0 = background)

  // UsageError naming the file and the entry: not a list, empty or duplicate names, class ids outside
  // [1, 255], a class in two anatomies, more than 255 anatomies.
  static AnatomyMapping load(const std::filesystem::path& yaml_file);
  static AnatomyMapping from_yaml(const std::string& yaml_text, const std::string& origin);

  // Class map -> anatomy label map (same size).
  std::vector<uint8_t> merge(const std::vector<uint8_t>& classes) const;
};

}  // namespace cagcl::data::convert
