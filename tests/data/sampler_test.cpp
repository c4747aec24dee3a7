#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>

#include "common/error.hpp"
#include "data/sampler.hpp"

namespace cagcl::data {
namespace {

SamplerOptions opts(int64_t n, int64_t w, int64_t r, int64_t b) {
  SamplerOptions o;
  o.num_samples = n;
  o.world_size = w;
  o.rank = r;
  o.batch_size = b;
  o.seed = 7;
  return o;
}

// Runs all W ranks from `position` for `steps` global steps; returns the indices seen and the new position.
std::vector<int64_t> run_ranks(int64_t n, int64_t w, int64_t b, int64_t& position, int64_t steps,
                               SamplerOptions base = {}) {
  std::vector<Sampler> ranks;
  for (int64_t r = 0; r < w; ++r) {
    SamplerOptions o = base;
    o.num_samples = n, o.world_size = w, o.rank = r, o.batch_size = b, o.seed = 7;
    ranks.emplace_back(o);
  }
  std::vector<int64_t> seen;
  for (int64_t s = 0; s < steps; ++s) {
    int64_t next = -1;
    for (auto& sampler : ranks) {
      const LocalBatch lb = sampler.batch_at(position);
      EXPECT_EQ(static_cast<int64_t>(lb.indices.size()), b);
      seen.insert(seen.end(), lb.indices.begin(), lb.indices.end());
      if (next >= 0) {
        EXPECT_EQ(next, lb.next_position);  // every rank agrees on the next position
      }
      next = lb.next_position;
    }
    position = next;
  }
  return seen;
}

TEST(Sampler, EpochOrderIsAPermutationKeyedBySeedAndEpoch) {
  Sampler s(opts(50, 1, 0, 5));
  const auto e0 = s.epoch_order(0), e0b = s.epoch_order(0), e1 = s.epoch_order(1);
  EXPECT_EQ(e0, e0b);
  EXPECT_NE(e0, e1);
  auto sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], i);
  auto o = opts(50, 1, 0, 5);
  o.seed = 8;
  EXPECT_NE(Sampler(o).epoch_order(0), e0);
}

TEST(Sampler, RanksAreDisjointAndCoverTheEpochForW1To4) {
  for (int64_t w = 1; w <= 4; ++w) {
    const int64_t n = 37, b = 3, g = w * b;
    int64_t position = 0;
    const auto seen = run_ranks(n, w, b, position, n / g);
    std::set<int64_t> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << "W=" << w;         // no sample twice
    EXPECT_EQ(static_cast<int64_t>(seen.size()), (n / g) * g);  // only the short tail is dropped
    EXPECT_GT(static_cast<int64_t>(seen.size()), n - g);
    // The next batch is the first of epoch 1.
    Sampler s(opts(n, w, 0, b));
    EXPECT_EQ(s.batch_at(position).epoch, 1) << "W=" << w;
    EXPECT_EQ(s.batch_at(position).position, n);
  }
}

TEST(Sampler, RankTakesItsSliceOfTheGlobalOrder) {
  const int64_t n = 20, w = 2, b = 3;
  Sampler r1(opts(n, w, 1, b));
  const auto order = r1.epoch_order(0);
  const auto lb = r1.batch_at(6);  // second global batch
  EXPECT_EQ(lb.indices, (std::vector<int64_t>{order[9], order[10], order[11]}));
  EXPECT_EQ(lb.next_position, 12);
}

TEST(Sampler, ResumeWithSameWorldSizeContinuesIdentically) {
  const int64_t n = 40, w = 2, b = 3;
  int64_t p_full = 0;
  const auto full = run_ranks(n, w, b, p_full, 10);  // crosses into epoch 1
  int64_t p = 0;
  auto resumed = run_ranks(n, w, b, p, 4);
  const auto rest = run_ranks(n, w, b, p, 6);  // fresh samplers: only the position carries over
  resumed.insert(resumed.end(), rest.begin(), rest.end());
  EXPECT_EQ(resumed, full);
  EXPECT_EQ(p, p_full);
}

TEST(Sampler, ResumeWithAnotherWorldSizeNeitherRepeatsNorSkips) {
  const int64_t n = 50;
  for (auto [w1, b1, w2, b2] :
       std::vector<std::array<int64_t, 4>>{{2, 3, 3, 3}, {4, 2, 1, 8}, {3, 2, 2, 3}, {1, 5, 4, 1}}) {
    int64_t p = 0;
    auto seen = run_ranks(n, w1, b1, p, 3);
    const int64_t g2 = w2 * b2;
    const int64_t remaining_steps = (n - p) / g2;
    const auto rest = run_ranks(n, w2, b2, p, remaining_steps);
    seen.insert(seen.end(), rest.begin(), rest.end());
    std::set<int64_t> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size());                 // nothing repeated within the epoch
    EXPECT_GT(static_cast<int64_t>(seen.size()), n - g2);  // only the new W*b's short tail is dropped
    // The union is exactly the epoch's permutation up to the dropped tail, in order.
    const auto order = Sampler(opts(n, 1, 0, 1)).epoch_order(0);
    // Rank-major within each global batch is the global order: the union is the permutation's prefix.
    EXPECT_EQ(std::vector<int64_t>(order.begin(), order.begin() + static_cast<int64_t>(seen.size())), seen);
    Sampler next(opts(n, w2, 0, b2));
    EXPECT_EQ(next.batch_at(p).epoch, 1);
  }
}

TEST(Sampler, EvaluationPadsTheLastGlobalBatch) {
  auto o = opts(7, 2, 1, 2);
  o.drop_last = false;
  o.shuffle = false;
  Sampler s(o);
  EXPECT_EQ(s.steps_per_epoch(), 2);
  EXPECT_EQ(s.batch_at(0).indices, (std::vector<int64_t>{2, 3}));
  const auto last = s.batch_at(4);
  EXPECT_EQ(last.indices, (std::vector<int64_t>{6, -1}));
  EXPECT_EQ(last.next_position, 7);
}

TEST(Sampler, ShardAwareOrderIsAPermutationWithLocality) {
  auto o = opts(60, 1, 0, 4);
  o.shard_sizes = {20, 25, 15};
  o.block_size = 5;
  Sampler s(o);
  const auto order = s.epoch_order(3);
  auto sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 60; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], i);
  EXPECT_NE(order, s.epoch_order(4));
  // Shards are contiguous runs of the order.
  const auto shard_of = [](int64_t i) { return i < 20 ? 0 : i < 45 ? 1 : 2; };
  int changes = 0;
  for (size_t i = 1; i < order.size(); ++i) changes += shard_of(order[i]) != shard_of(order[i - 1]);
  EXPECT_EQ(changes, 2);
  // Blocks of 5 consecutive samples stay together.
  for (size_t i = 0; i < order.size(); i += 5) {
    std::set<int64_t> blocks;
    for (size_t j = i; j < i + 5; ++j) blocks.insert(order[j] < 45 ? order[j] / 5 : 9 + (order[j] - 45) / 5);
    EXPECT_EQ(blocks.size(), 1u);
  }
}

TEST(Sampler, RejectsBadOptions) {
  EXPECT_THROW(Sampler(opts(0, 1, 0, 1)), UsageError);
  EXPECT_THROW(Sampler(opts(10, 2, 2, 1)), UsageError);
  EXPECT_THROW(Sampler(opts(10, 3, 0, 4)), UsageError);  // W*b > N in training
  auto o = opts(10, 1, 0, 1);
  o.shard_sizes = {4, 5};
  EXPECT_THROW(Sampler{o}, UsageError);
}

}  // namespace
}  // namespace cagcl::data
