#include <torch/torch.h>

#include "comm/comm_options.hpp"

#include <gtest/gtest.h>

namespace cagcl {

TEST(CommOptions, PresetKeysMapOntoTheDistributedLayer) {
  const Config tiny = load_config("tiny", {"comm.bucket_cap_mb=2.5", "comm.debug_sequence=true"});
  const auto comm = comm_options(tiny.comm);
  EXPECT_TRUE(comm.debug_sequence);
  EXPECT_DOUBLE_EQ(comm.failure_timeout_s, 60);
  const auto sync = grad_sync_options(tiny.comm);
  EXPECT_EQ(sync.bucket_cap_bytes, 5 * 512 * 1024);
  EXPECT_EQ(sync.first_bucket_bytes, 1 << 20);
  EXPECT_TRUE(sync.overlap);
  EXPECT_EQ(sync.reduction, GradReduction::avg);
}

}  // namespace cagcl
