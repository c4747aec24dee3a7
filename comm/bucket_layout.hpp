#pragma once
// How gradients are packed into flat buffers for communication (PyTorch DDP's Reducer buckets). Parameters
// are taken in reverse registration order -- roughly the order in which backward produces their gradients --
// and cut into buckets of at most `cap_bytes` (the first bucket `first_cap_bytes`, so communication starts
// early). A bucket holds parameters of one dtype and device. The plan depends only on the parameter list,
// so it is identical on every rank. ZeRO-1 can reuse it: each bucket's flat buffer, padded to a multiple of
// the world size (padded_numel), splits into equal per-rank shards for reduce-scatter / all-gather.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace cagcl {

struct BucketSlot {
  size_t param = 0;    // index into the parameter list given to plan_buckets
  int64_t offset = 0;  // element offset in the bucket's flat buffer
  int64_t numel = 0;
};

struct Bucket {
  std::vector<BucketSlot> slots;  // in fill order (reverse registration)
  int64_t numel = 0;              // elements used (sum of slot numels)
  torch::ScalarType dtype = torch::kFloat;
  torch::Device device = torch::kCPU;
  // numel rounded up to a multiple of `world`: the size of the flat buffer when it is sharded over ranks.
  int64_t padded_numel(int world) const { return (numel + world - 1) / world * world; }
};

struct BucketLayout {
  std::vector<Bucket> buckets;
  std::vector<std::pair<size_t, size_t>> where;  // per parameter: (bucket, slot)
};

// Parameters without requires_grad are left out (where[i] = (SIZE_MAX, SIZE_MAX)). A parameter larger than
// the cap gets a bucket of its own.
BucketLayout plan_buckets(const std::vector<torch::Tensor>& params, int64_t cap_bytes, int64_t first_cap_bytes);

}  // namespace cagcl
