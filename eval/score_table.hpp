#pragma once
// The zero-shot scores of one template family: for each protocol label, one score and one ground-truth
// value per evaluated volume, every label over the same volumes in the same order.
#include <cstdint>
#include <string>
#include <vector>

namespace cagcl::eval {

struct LabelScores {
  std::string name;
  std::vector<double> score;   // [volumes] in [0, 1]
  std::vector<uint8_t> truth;  // [volumes] 0/1
};
using ScoreTable = std::vector<LabelScores>;

}  // namespace cagcl::eval
