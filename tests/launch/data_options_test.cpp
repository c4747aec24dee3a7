#include <torch/torch.h>

#include <gtest/gtest.h>

#include "../data/storage_test_util.hpp"
#include "data/dataset_writer.hpp"
#include "launch/data_options.hpp"

namespace cagcl {
namespace {

TEST(DataOptions, ConfigKeysReachSamplerAndLoader) {
  data::testing::TempDir dir;
  {
    data::DatasetWriter w(dir.path(), data::testing::test_layout(), 5, 2, {{"test", true}});
    for (int i = 0; i < 5; ++i) w.append(data::testing::make_sample(i));
    w.finish();
  }
  const data::Dataset ds = data::Dataset::open(dir.path());
  Config c = load_config("tiny", {"data.shard_aware_order=true", "data.skip_bad_samples=true",
                                  "data.max_bad_fraction=0.25", "train.seed=9"});
  const auto s = sampler_options(c, ds, 1, 2, true);
  EXPECT_EQ(s.num_samples, 5);
  EXPECT_EQ(s.rank, 1);
  EXPECT_EQ(s.world_size, 2);
  EXPECT_EQ(s.batch_size, c.train.batch_size);
  EXPECT_EQ(s.seed, 9u);
  EXPECT_EQ(s.shard_sizes, (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(s.drop_last);
  const auto e = sampler_options(c, ds, 0, 1, false);
  EXPECT_FALSE(e.shuffle);
  EXPECT_FALSE(e.drop_last);
  EXPECT_TRUE(e.shard_sizes.empty());
  const auto l = loader_options(c, ds, true);
  EXPECT_EQ(l.crop, c.data.crop);
  EXPECT_TRUE(l.skip_bad_samples);
  EXPECT_DOUBLE_EQ(l.max_bad_fraction, 0.25);
  EXPECT_EQ(l.num_anatomies, 3);
  EXPECT_EQ(l.num_labels, 18);
  EXPECT_EQ(l.workers, c.data.workers);
  EXPECT_EQ(l.seed, 9u);
}

}  // namespace
}  // namespace cagcl
