// The key test of the distributed loss (docs/losses.md): W ranks, each with its own uneven slice of one fixed
// global batch (a rank may hold no instance at all), give the single-process loss of the whole batch when their
// terms are summed, and -- after GradSync with reduction sum -- every parameter gradient of the single-process
// run, the temperatures' included.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include <memory>
#include <numeric>
#include <vector>

#include "comm/grad_sync.hpp"
#include "comm/self_communicator.hpp"
#include "model/contrastive_loss.hpp"
#include "tests/comm/mpi/mpi_test_env.hpp"

namespace cagcl::model {
namespace {

using mpi_test::world;
namespace F = torch::nn::functional;

constexpr int64_t kInstances = 17, kFeatures = 6, kDim = 4;

// A small deterministic "model": two linear heads on fixed inputs, L2-normalised, and two learnable temperatures.
struct TinyModel {
  torch::nn::Linear image{nullptr}, text{nullptr};
  torch::Tensor tau_local, tau_global;

  explicit TinyModel(torch::ScalarType dtype) {
    torch::manual_seed(42);  // the same weights on every rank and in the reference
    image = torch::nn::Linear(kFeatures, kDim);
    text = torch::nn::Linear(kFeatures, kDim);
    image->to(dtype);
    text->to(dtype);
    tau_local = torch::tensor(0.09, dtype).requires_grad_(true);
    tau_global = torch::tensor(0.21, dtype).requires_grad_(true);
  }
  std::vector<torch::Tensor> parameters() {
    auto p = image->parameters();
    for (auto& q : text->parameters()) p.push_back(q);
    p.push_back(tau_local);
    p.push_back(tau_global);
    return p;
  }
};

// The fixed global batch: inputs and keys. Anatomy 3 has one abnormal instance (13) -- it takes part only
// because of it, whichever rank holds it; anatomy 2 is all normal; texts shared within and across anatomies.
struct GlobalBatch {
  torch::Tensor image_in, text_in, anatomy, normal, text_id;
};

GlobalBatch global_batch(torch::ScalarType dtype) {
  torch::manual_seed(7);
  GlobalBatch g;
  g.image_in = torch::randn({kInstances, kFeatures}, dtype);
  g.text_in = torch::randn({kInstances, kFeatures}, dtype);
  g.anatomy = torch::tensor({0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 0, 2, 3, 3, 0, 1, 1}, torch::kLong);
  g.normal = torch::tensor({0, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1}, torch::kLong).to(torch::kBool);
  g.text_id = torch::tensor({5, 8, 9, 7, 6, 11, 9, 7, 5, 8, 6, 9, 7, 12, 14, 11, 8}, torch::kLong);
  return g;
}

// Uneven slices; with 4 ranks one rank holds nothing (every anatomy dropped out of its crops).
std::vector<int64_t> split(int world_size) {
  if (world_size == 2) return {6, 11};
  if (world_size == 4) return {4, 0, 9, 4};
  std::vector<int64_t> sizes(world_size, kInstances / world_size);
  sizes.back() += kInstances % world_size;
  return sizes;
}

Instances embed_rows(TinyModel& model, const GlobalBatch& g, int64_t begin, int64_t count) {
  const auto norm = F::NormalizeFuncOptions().dim(1);
  return {F::normalize(model.image->forward(g.image_in.narrow(0, begin, count)), norm),
          F::normalize(model.text->forward(g.text_in.narrow(0, begin, count)), norm), g.anatomy.narrow(0, begin, count),
          g.normal.narrow(0, begin, count), g.text_id.narrow(0, begin, count)};
}

torch::Tensor grad_or_zero(const torch::Tensor& p) { return p.grad().defined() ? p.grad() : torch::zeros_like(p); }

void expect_distributed_equals_single_process(const LossConfig& options, torch::ScalarType dtype, double rtol,
                                              double atol) {
  auto comm = world();
  const auto g = global_batch(dtype);
  const auto sizes = split(comm->size());
  ASSERT_EQ(std::accumulate(sizes.begin(), sizes.end(), int64_t{0}), kInstances);
  const int64_t begin = std::accumulate(sizes.begin(), sizes.begin() + comm->rank(), int64_t{0});

  // Distributed: this rank's slice, gradients summed over ranks by GradSync.
  TinyModel model(dtype);
  GradSyncOptions sync_options;
  sync_options.reduction = GradReduction::sum;
  GradSync sync(comm, model.parameters(), sync_options);
  const auto terms =
      ca_gcl_loss(comm, embed_rows(model, g, begin, sizes[comm->rank()]), model.tau_local, model.tau_global, options);
  terms.total.backward();
  sync.finish();
  const auto values = reduce_loss_values(*comm, terms);

  // Single process: the whole batch, world of one.
  TinyModel reference(dtype);
  const auto full = ca_gcl_loss(std::make_shared<SelfCommunicator>(), embed_rows(reference, g, 0, kInstances),
                                reference.tau_local, reference.tau_global, options);
  full.total.backward();

  const double scale = std::max(1.0, std::abs(full.total.item<double>()));
  EXPECT_NEAR(values.total, full.total.item<double>(), rtol * scale + atol);
  EXPECT_NEAR(values.local, full.local.item<double>(), rtol * scale + atol);
  EXPECT_NEAR(values.global, full.global.item<double>(), rtol * scale + atol);
  EXPECT_GT(values.total, 0.0);
  const auto mine = model.parameters(), theirs = reference.parameters();
  for (size_t k = 0; k < mine.size(); ++k) {
    const auto a = grad_or_zero(mine[k]), b = grad_or_zero(theirs[k]);
    EXPECT_TRUE(torch::allclose(a, b, rtol, atol)) << "parameter " << k << " on rank " << comm->rank() << ":\n"
                                                   << a << "\nvs single process\n"
                                                   << b;
  }
  // The temperatures carry a real gradient (not trivially zero on both sides).
  if (options.w_local != 0) {
    EXPECT_GT(theirs[mine.size() - 2].grad().abs().item<double>(), 0.0);
  }
  if (options.w_global != 0) {
    EXPECT_GT(theirs[mine.size() - 1].grad().abs().item<double>(), 0.0);
  }
}

LossConfig config(double w_local, double w_global, bool skip, const std::string& reduction) {
  LossConfig c;
  c.w_local = w_local;
  c.w_global = w_global;
  c.skip_all_normal_anatomy = skip;
  c.local_reduction = reduction;
  return c;
}

TEST(DistributedLoss, LocalPlusGlobalEqualsSingleProcessLossAndGradients) {
  expect_distributed_equals_single_process(config(1, 1, true, "sum"), torch::kDouble, 1e-10, 1e-12);
}

TEST(DistributedLoss, MeanReductionWithoutSkipEqualsSingleProcess) {
  expect_distributed_equals_single_process(config(0.6, 1.7, false, "mean"), torch::kDouble, 1e-10, 1e-12);
}

TEST(DistributedLoss, LocalOnlyFvlmBaselineEqualsSingleProcess) {
  expect_distributed_equals_single_process(config(1, 0, true, "sum"), torch::kDouble, 1e-10, 1e-12);
}

TEST(DistributedLoss, GlobalOnlyEqualsSingleProcess) {
  expect_distributed_equals_single_process(config(0, 1, true, "mean"), torch::kDouble, 1e-10, 1e-12);
}

TEST(DistributedLoss, Float32EqualsSingleProcessToFloatTolerance) {
  expect_distributed_equals_single_process(config(1, 1, true, "sum"), torch::kFloat, 1e-4, 1e-5);
}

}  // namespace
}  // namespace cagcl::model
