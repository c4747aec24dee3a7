#pragma once
// Which part of each parameter rank r owns under ZeRO-1: the parameters are cut into the gradient buckets of
// comm/bucket_layout.hpp; each bucket's flat buffer, padded to a multiple of the world size, splits into equal
// consecutive shards, rank r holding shard r of every bucket. A range may cover the end of one parameter and the
// start of the next; padding belongs to no parameter.
#include <cstdint>
#include <vector>

#include "comm/bucket_layout.hpp"

namespace cagcl::trainer {

struct OwnedRange {
  size_t bucket = 0;
  size_t param = 0;          // index into the parameter list
  int64_t param_start = 0;   // first owned element of the flattened parameter
  int64_t shard_offset = 0;  // where it lies in this rank's shard of the bucket
  int64_t numel = 0;
};

// The ranges rank `rank` of `world` owns, bucket by bucket, in bucket order.
std::vector<OwnedRange> owned_ranges(const BucketLayout& layout, int world, int rank);

}  // namespace cagcl::trainer
