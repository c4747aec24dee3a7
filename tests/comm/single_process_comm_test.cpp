// The comm layer without MPI: world-size-1 communicator, bucket planning, the factory, the bootstrap helpers.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include "comm/autograd_collectives.hpp"
#include "comm/bucket_layout.hpp"
#include "comm/grad_sync.hpp"
#include "comm/make_communicator.hpp"
#include "comm/self_communicator.hpp"
#include "comm/sequence_checked_communicator.hpp"
#include "common/error.hpp"
#include "launch/runtime.hpp"

namespace cagcl {
namespace {

TEST(SelfCommunicator, CollectivesAreIdentities) {
  SelfCommunicator comm;
  auto t = torch::arange(4, torch::kFloat);
  comm.all_reduce(t, ReduceOp::avg);
  EXPECT_TRUE(t.equal(torch::arange(4, torch::kFloat)));
  EXPECT_TRUE(comm.all_gather(t).equal(t));
  EXPECT_TRUE(comm.reduce_scatter(t).equal(t));
  EXPECT_THROW(comm.broadcast(t, 1), CommError);
  EXPECT_THROW(comm.all_reduce(torch::zeros({4, 4}).t()), CommError);
}

TEST(SelfCommunicator, FactoryGivesSelfWithoutMpiAndWrapsInDebugMode) {
  auto comm = make_communicator(torch::kCPU);
  EXPECT_EQ(comm->backend(), "self");
  CommOptions options;
  options.debug_sequence = true;
  auto checked = make_communicator(torch::kCPU, options);
  EXPECT_EQ(checked->backend(), "self+sequence-check");
  auto t = torch::ones({2});
  checked->all_reduce(t);
  EXPECT_EQ(dynamic_cast<SequenceCheckedCommunicator&>(*checked).sequence(), 1);
}

TEST(SelfCommunicator, GatherWithGradIsIdentityForOneRank) {
  auto comm = std::make_shared<SelfCommunicator>();
  auto x = torch::randn({3, 2}, torch::requires_grad());
  auto g = all_gather_with_grad(comm, x);
  EXPECT_TRUE(g.rows.equal(x));
  (g.rows * 2).sum().backward();
  EXPECT_TRUE(x.grad().equal(torch::full({3, 2}, 2.0f)));
}

TEST(BucketLayout, ReverseOrderCapsAndFirstBucket) {
  // Five float parameters of 100 elements (400 bytes) each.
  std::vector<torch::Tensor> params;
  for (int i = 0; i < 5; ++i) params.push_back(torch::zeros({100}, torch::requires_grad()));
  params.push_back(torch::zeros({3}));  // no grad: left out
  const auto layout = plan_buckets(params, /*cap_bytes=*/800, /*first_cap_bytes=*/400);
  ASSERT_EQ(layout.buckets.size(), 3u);
  EXPECT_EQ(layout.buckets[0].slots.size(), 1u);
  EXPECT_EQ(layout.buckets[0].slots[0].param, 4u);
  EXPECT_EQ(layout.buckets[1].slots[0].param, 3u);
  EXPECT_EQ(layout.buckets[1].slots[1].param, 2u);
  EXPECT_EQ(layout.buckets[1].slots[1].offset, 100);
  EXPECT_EQ(layout.buckets[2].numel, 200);
  EXPECT_EQ(layout.buckets[2].padded_numel(3), 201);
  EXPECT_EQ(layout.where[5].first, std::numeric_limits<size_t>::max());
  EXPECT_EQ(layout.where[2], (std::pair<size_t, size_t>{1, 1}));
}

TEST(BucketLayout, OversizedParameterGetsItsOwnBucketAndDtypesDoNotMix) {
  std::vector<torch::Tensor> params = {torch::zeros({10}, torch::requires_grad()),
                                       torch::zeros({10}, torch::TensorOptions(torch::kDouble).requires_grad(true)),
                                       torch::zeros({1000}, torch::requires_grad())};
  const auto layout = plan_buckets(params, 100, 100);
  ASSERT_EQ(layout.buckets.size(), 3u);
  EXPECT_EQ(layout.buckets[0].numel, 1000);
  EXPECT_EQ(layout.buckets[1].dtype, torch::kDouble);
  EXPECT_EQ(layout.buckets[2].dtype, torch::kFloat);
}

TEST(GradSyncSingleProcess, GradientsUnchangedForOneRank) {
  torch::manual_seed(1);
  torch::nn::Linear a(4, 3), b(3, 2);
  std::vector<torch::Tensor> params = a->parameters();
  for (auto& p : b->parameters()) params.push_back(p);
  GradSync sync(std::make_shared<SelfCommunicator>(), params, {});
  auto x = torch::randn({5, 4});
  b(torch::tanh(a(x))).pow(2).sum().backward();
  std::vector<torch::Tensor> before;
  for (auto& p : params) before.push_back(p.grad().clone());
  sync.finish();
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(params[i].grad().equal(before[i]));
  EXPECT_EQ(sync.last_launch_order().size(), sync.layout().buckets.size());
}

TEST(Runtime, ThreadsPerRankDividesTheNode) {
  EXPECT_EQ(threads_per_rank(16, 4), 4);
  EXPECT_EQ(threads_per_rank(2, 4), 1);
  EXPECT_EQ(threads_per_rank(7, 2), 3);
  EXPECT_EQ(threads_per_rank(8, 0), 8);
}

TEST(Runtime, ReadsSlurmEnvironment) {
  ::unsetenv("SLURM_JOB_ID");
  EXPECT_FALSE(read_slurm_environment().has_value());
  ::setenv("SLURM_JOB_ID", "4242", 1);
  ::setenv("SLURM_PROCID", "3", 1);
  ::setenv("SLURM_JOB_NODELIST", "node[01-02]", 1);
  const auto slurm = read_slurm_environment();
  ::unsetenv("SLURM_JOB_ID");
  ::unsetenv("SLURM_PROCID");
  ::unsetenv("SLURM_JOB_NODELIST");
  ASSERT_TRUE(slurm.has_value());
  EXPECT_EQ(slurm->job_id, "4242");
  EXPECT_EQ(slurm->procid, "3");
  EXPECT_EQ(slurm->job_nodelist, "node[01-02]");
  EXPECT_EQ(slurm->restart_count, "");
}

}  // namespace
}  // namespace cagcl
