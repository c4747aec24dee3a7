#include <torch/torch.h>

#include "comm/bucket_layout.hpp"

#include <algorithm>
#include <limits>

namespace cagcl {

BucketLayout plan_buckets(const std::vector<torch::Tensor>& params, int64_t cap_bytes, int64_t first_cap_bytes) {
  constexpr size_t kNone = std::numeric_limits<size_t>::max();
  BucketLayout layout;
  layout.where.assign(params.size(), {kNone, kNone});
  // One open bucket per (dtype, device): parameters of another type must not cut the current bucket short.
  std::vector<size_t> open;
  for (size_t k = params.size(); k-- > 0;) {
    const auto& p = params[k];
    if (!p.requires_grad()) continue;
    const int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
    size_t index = kNone;
    for (size_t b : open)
      if (layout.buckets[b].dtype == p.scalar_type() && layout.buckets[b].device == p.device()) index = b;
    if (index != kNone) {
      const auto& bucket = layout.buckets[index];
      const int64_t cap = index == 0 ? first_cap_bytes : cap_bytes;
      const int64_t used = bucket.numel * static_cast<int64_t>(p.element_size());
      if (used > 0 && used + bytes > cap) {  // full: close it
        open.erase(std::find(open.begin(), open.end(), index));
        index = kNone;
      }
    }
    if (index == kNone) {
      Bucket bucket;
      bucket.dtype = p.scalar_type();
      bucket.device = p.device();
      layout.buckets.push_back(bucket);
      index = layout.buckets.size() - 1;
      open.push_back(index);
    }
    auto& bucket = layout.buckets[index];
    layout.where[k] = {index, bucket.slots.size()};
    bucket.slots.push_back({k, bucket.numel, p.numel()});
    bucket.numel += p.numel();
  }
  return layout;
}

}  // namespace cagcl
