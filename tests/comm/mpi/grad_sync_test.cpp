// Data-parallel equivalence: W ranks with local batches give the gradients of one process with the whole
// batch, through the gather-with-grad contrastive loss and the bucketed gradient all-reduce.
//
// Tolerance (float32): rtol 1e-5, atol 1e-6. The distributed and single-process paths add the same terms
// in a different order (matrix products of different shapes, an all-reduce over ranks): float32's 2^-24
// (6e-8) relative rounding per operation, accumulated over the few dozen terms of these tiny layers, stays
// well inside 1e-5 relative; atol covers gradient entries that are near zero.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include <numeric>

#include "comm/autograd_collectives.hpp"
#include "comm/grad_sync.hpp"
#include "common/error.hpp"
#include "tests/comm/mpi/mpi_test_env.hpp"

namespace cagcl {
namespace {

using mpi_test::world;

struct TwoTower : torch::nn::Module {
  TwoTower() {
    image1 = register_module("image1", torch::nn::Linear(8, 16));
    image2 = register_module("image2", torch::nn::Linear(16, 6));
    text = register_module("text", torch::nn::Linear(5, 6));
  }
  torch::nn::Linear image1{nullptr}, image2{nullptr}, text{nullptr};
};

std::shared_ptr<TwoTower> make_model(int seed) {
  torch::manual_seed(seed);
  return std::make_shared<TwoTower>();
}

// CLIP-style symmetric loss of `rows` (local) against `columns` (global); the target of local row i is
// global column offset + i. Divided by the global batch: the losses of all ranks sum to the global loss.
torch::Tensor contrastive(const torch::Tensor& img, const torch::Tensor& txt, const torch::Tensor& all_img,
                          const torch::Tensor& all_txt, int64_t offset, int64_t global_batch) {
  const double tau = 0.1;
  auto targets = torch::arange(offset, offset + img.size(0), torch::kLong);
  auto ce = [&](const torch::Tensor& logits) {
    return torch::nn::functional::cross_entropy(
        logits, targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  };
  return (ce(img.matmul(all_txt.t()) / tau) + ce(txt.matmul(all_img.t()) / tau)) / (2.0 * global_batch);
}

std::pair<torch::Tensor, torch::Tensor> embed(TwoTower& m, const torch::Tensor& x, const torch::Tensor& y) {
  auto img = torch::nn::functional::normalize(m.image2(torch::relu(m.image1(x))),
                                              torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto txt = torch::nn::functional::normalize(m.text(y), torch::nn::functional::NormalizeFuncOptions().dim(1));
  return {img, txt};
}

void expect_distributed_equals_single(const std::vector<int64_t>& batch_of_rank, GradReduction reduction) {
  auto comm = world();
  const int w = comm->size();
  const int64_t global = std::accumulate(batch_of_rank.begin(), batch_of_rank.end(), int64_t{0});
  const int64_t offset = std::accumulate(batch_of_rank.begin(), batch_of_rank.begin() + comm->rank(), int64_t{0});
  const int64_t local = batch_of_rank[comm->rank()];
  torch::manual_seed(11);
  const auto x = torch::randn({global, 8});
  const auto y = torch::randn({global, 5});

  // Ranks start from different weights: broadcast_parameters must make them rank 0's.
  auto model = make_model(comm->rank() == 0 ? 3 : 50 + comm->rank());
  GradSyncOptions options;
  options.bucket_cap_bytes = 256;  // several buckets even for this small model
  options.first_bucket_bytes = 64;
  options.reduction = reduction;
  GradSync sync(comm, model->parameters(), options);
  sync.broadcast_parameters(0);

  auto [img, txt] = embed(*model, x.narrow(0, offset, local), y.narrow(0, offset, local));
  auto all_img = all_gather_with_grad(comm, img);
  auto all_txt = all_gather_with_grad(comm, txt);
  auto loss = contrastive(img, txt, all_img.rows, all_txt.rows, all_img.offset, global);
  // avg divides the summed gradient by W: scale the loss by W so both conventions target the same gradient.
  if (reduction == GradReduction::avg) loss = loss * w;
  loss.backward();
  sync.finish();

  auto reference = make_model(3);
  auto [ri, rt] = embed(*reference, x, y);
  contrastive(ri, rt, ri, rt, 0, global).backward();

  const auto got = model->parameters();
  const auto want = reference->parameters();
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(torch::allclose(got[i], want[i])) << "parameter " << i << " not broadcast from rank 0";
    EXPECT_TRUE(torch::allclose(got[i].grad(), want[i].grad(), 1e-5, 1e-6))
        << "parameter " << i << " rank " << comm->rank() << ": max diff "
        << (got[i].grad() - want[i].grad()).abs().max().item<float>();
  }
}

TEST(GradSync, EqualBatchesAveragedMatchOneProcessWithTheWholeBatch) {
  expect_distributed_equals_single(std::vector<int64_t>(world()->size(), 3), GradReduction::avg);
}

TEST(GradSync, UnevenBatchesSummedMatchOneProcessWithTheWholeBatch) {
  std::vector<int64_t> batches;
  for (int r = 0; r < world()->size(); ++r) batches.push_back(r % 2 == 0 ? 3 : 2);
  expect_distributed_equals_single(batches, GradReduction::sum);
}

TEST(GradSync, BucketsAreLaunchedInTheSameFixedOrderOnEveryRank) {
  auto comm = world();
  auto model = make_model(5);
  GradSyncOptions options;
  options.bucket_cap_bytes = 300;
  options.first_bucket_bytes = 64;
  GradSync sync(comm, model->parameters(), options);
  const auto& layout = sync.layout();
  ASSERT_GT(layout.buckets.size(), 2u);
  // Reverse registration order: the first bucket starts with the last parameter.
  EXPECT_EQ(layout.buckets.front().slots.front().param, model->parameters().size() - 1);
  for (int step = 0; step < 2; ++step) {
    auto [img, txt] = embed(*model, torch::randn({4, 8}), torch::randn({4, 5}));
    (img.sum() + txt.sum()).backward();
    sync.finish();
    std::vector<int64_t> order(sync.last_launch_order().begin(), sync.last_launch_order().end());
    for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], static_cast<int64_t>(i));
    EXPECT_GT(sync.last_stats().buckets_launched_during_backward, 0) << "no bucket overlapped backward";
  }
  // The layout (bucket -> parameters, offsets) is identical on every rank.
  std::vector<int64_t> fingerprint;
  for (const auto& b : layout.buckets)
    for (const auto& s : b.slots) fingerprint.insert(fingerprint.end(), {int64_t(s.param), s.offset, s.numel});
  auto mine = torch::tensor(fingerprint);
  auto all = comm->all_gather(mine).reshape({comm->size(), -1});
  for (int r = 0; r < comm->size(); ++r) EXPECT_TRUE(all[r].equal(mine)) << "rank " << r << " has another layout";
}

TEST(GradSync, UnusedParameterGetsTheOtherRanksGradient) {
  auto comm = world();
  auto model = make_model(9);
  GradSync sync(comm, model->parameters(), {});
  // Rank 0 does not use the text tower this step; the others do.
  auto img = model->image2(torch::relu(model->image1(torch::ones({1, 8}))));
  auto loss = img.sum();
  if (comm->rank() != 0) loss = loss + model->text(torch::ones({1, 5})).sum();
  loss.backward();
  sync.finish();
  // d(sum(text(1)))/d bias = 1 on W-1 ranks, averaged over W.
  const float expected = float(comm->size() - 1) / comm->size();
  EXPECT_TRUE(torch::allclose(model->text->bias.grad(), torch::full({6}, expected)));
}

TEST(GradSync, AccumulationWithoutSyncThenOneSyncedMicroBatch) {
  auto comm = world();
  torch::manual_seed(2);
  torch::nn::Linear model(4, 1);
  GradSync sync(comm, model->parameters(), {});
  // Micro-batch m on rank r: one row of (r + m + 1). d/dw of the summed output is the row itself.
  const int r = comm->rank();
  sync.set_enabled(false);
  model(torch::full({1, 4}, float(r + 1))).sum().backward();
  EXPECT_THROW(sync.finish(), CommError);
  sync.set_enabled(true);
  model(torch::full({1, 4}, float(r + 2))).sum().backward();
  sync.finish();
  // Rank r accumulated 2r + 3; the average over ranks is W + 2. The bias saw 1 per micro-batch: 2.
  const float w = float(comm->size());
  EXPECT_TRUE(torch::allclose(model->weight.grad(), torch::full({1, 4}, w + 2))) << model->weight.grad();
  EXPECT_TRUE(torch::allclose(model->bias.grad(), torch::full({1}, 2.0f)));
}

}  // namespace
}  // namespace cagcl
