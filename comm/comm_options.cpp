#include <torch/torch.h>

#include "comm/comm_options.hpp"

namespace cagcl {

CommOptions comm_options(const CommConfig& config) {
  CommOptions options;
  options.failure_timeout_s = config.failure_timeout_s;
  options.debug_sequence = config.debug_sequence;
  return options;
}

GradSyncOptions grad_sync_options(const CommConfig& config) {
  constexpr double kMiB = 1024.0 * 1024.0;
  GradSyncOptions options;
  options.bucket_cap_bytes = static_cast<int64_t>(config.bucket_cap_mb * kMiB);
  options.first_bucket_bytes = static_cast<int64_t>(config.first_bucket_mb * kMiB);
  options.overlap = config.overlap;
  return options;  // reduction stays avg: the loss normalisation of docs/distributed.md
}

}  // namespace cagcl
