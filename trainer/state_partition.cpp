#include "trainer/state_partition.hpp"

#include <algorithm>

namespace cagcl::trainer {

std::vector<OwnedRange> owned_ranges(const BucketLayout& layout, int world, int rank) {
  std::vector<OwnedRange> ranges;
  for (size_t b = 0; b < layout.buckets.size(); ++b) {
    const auto& bucket = layout.buckets[b];
    const int64_t shard = bucket.padded_numel(world) / world;
    const int64_t lo = shard * rank, hi = lo + shard;
    for (const auto& slot : bucket.slots) {
      const int64_t begin = std::max(lo, slot.offset), end = std::min(hi, slot.offset + slot.numel);
      if (begin >= end) continue;
      ranges.push_back({b, slot.param, begin - slot.offset, begin - lo, end - begin});
    }
  }
  return ranges;
}

}  // namespace cagcl::trainer
