#pragma once
// What every sample of a shard (and of a dataset) shares: the anatomy and label lists, the compression,
// and where the shard starts in the dataset's global index.
#include <cstdint>
#include <string>
#include <vector>

#include "data/compression.hpp"
#include "data/sample.hpp"

namespace cagcl::data {

// Limits applied to everything read from or written to a shard, so that a hostile file cannot make the
// reader allocate without bound.
inline constexpr int64_t kMaxDim = 4096;                 // per axis
inline constexpr int64_t kMaxVoxels = int64_t{1} << 30;  // 2 GiB of int16
inline constexpr int64_t kMaxAnatomies = 255;            // anatomy map is uint8
inline constexpr int64_t kMaxLabels = 4096;
inline constexpr int64_t kMaxSentences = 100000;

struct ShardLayout {
  std::vector<std::string> anatomies;
  std::vector<std::string> labels;
  Compression compression = Compression::deflate_shuffle;
  int64_t first_index = 0;

  int64_t num_anatomies() const { return static_cast<int64_t>(anatomies.size()); }
  // UsageError naming `what` (e.g. the shard path) when the lists are empty/too long/duplicated.
  void validate(const std::string& what) const;
};

// Same anatomies, labels and compression (first_index not compared).
bool same_content(const ShardLayout& a, const ShardLayout& b);

// Checks a sample against the layout: per-anatomy vector sizes, label count, shape limits, volume/anatomy
// sizes == D*H*W, anatomy values <= A, normal flags consistent with sentences. Throws `Error` (the type
// given) with "WHERE: field 'F' ...", so the writer reports UsageError and the reader DataError.
template <class Error>
void validate_sample(const Sample& s, const ShardLayout& layout, const std::string& where, bool check_voxels);

}  // namespace cagcl::data
