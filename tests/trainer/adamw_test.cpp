#include <torch/torch.h>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "trainer/adamw.hpp"
#include "trainer/data_parallel_adamw.hpp"
#include "trainer/state_partition.hpp"

namespace cagcl::trainer {
namespace {

TEST(AdamW, DecaysMatricesButNotBiasesNormsOrScalars) {
  EXPECT_TRUE(decays(torch::zeros({4, 3})));
  EXPECT_TRUE(decays(torch::zeros({2, 1, 3, 3, 3})));
  EXPECT_FALSE(decays(torch::zeros({4})));
  EXPECT_FALSE(decays(torch::zeros({})));
}

// Our update equals LibTorch's own torch::optim::AdamW step for step (same hyper-parameters, same gradients).
TEST(AdamW, MatchesLibTorchAdamWOverSeveralSteps) {
  torch::manual_seed(3);
  auto ours = torch::randn({5, 7});
  auto theirs = ours.clone().requires_grad_(true);
  auto m = torch::zeros_like(ours), v = torch::zeros_like(ours);
  AdamWOptions o{0.9, 0.95, 1e-8, 0.1};
  torch::optim::AdamW reference({theirs},
                                torch::optim::AdamWOptions(3e-3).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.1));
  for (int64_t step = 1; step <= 5; ++step) {
    const auto grad = torch::randn({5, 7});
    theirs.mutable_grad() = grad.clone();
    reference.step();
    adamw_update(ours, grad, m, v, 3e-3, 0.1, step, o);
    EXPECT_TRUE(torch::allclose(ours, theirs.detach(), 1e-6, 1e-7)) << "step " << step;
  }
}

TEST(AdamW, ClippingScalesTheGlobalNormDownToTheLimitOnly) {
  std::vector<torch::Tensor> grads = {torch::full({4}, 3.0), torch::full({2, 2}, 4.0)};
  const double norm = std::sqrt(squared_norm(grads));
  EXPECT_DOUBLE_EQ(norm, std::sqrt(4 * 9.0 + 4 * 16.0));
  clip_gradients(grads, norm, 1.0);
  EXPECT_NEAR(std::sqrt(squared_norm(grads)), 1.0, 1e-6);
  std::vector<torch::Tensor> small = {torch::full({4}, 0.1)};
  clip_gradients(small, std::sqrt(squared_norm(small)), 1.0);
  EXPECT_TRUE(torch::equal(small[0], torch::full({4}, 0.1)));  // below the limit: untouched
}

TEST(StatePartition, RanksOwnEveryElementOfEveryParameterExactlyOnce) {
  std::vector<torch::Tensor> params = {torch::zeros({10, 3}, torch::requires_grad()),
                                       torch::zeros({7}, torch::requires_grad()),
                                       torch::zeros({5, 5}, torch::requires_grad())};
  // 64-byte buckets (16 floats): parameters straddle buckets' shards and buckets need padding.
  const auto layout = plan_buckets(params, 64, 32);
  for (int world : {1, 2, 3, 4}) {
    std::vector<std::vector<int>> owner(params.size());
    for (size_t p = 0; p < params.size(); ++p) owner[p].assign(params[p].numel(), 0);
    for (int rank = 0; rank < world; ++rank)
      for (const auto& r : owned_ranges(layout, world, rank))
        for (int64_t i = 0; i < r.numel; ++i) ++owner[r.param][r.param_start + i];
    for (size_t p = 0; p < params.size(); ++p)
      for (int64_t i = 0; i < params[p].numel(); ++i)
        ASSERT_EQ(owner[p][i], 1) << "world " << world << " param " << p << " element " << i;
  }
}

TEST(StatePartition, AssemblesWholeParametersFromPiecesAndRejectsGaps) {
  const std::map<std::string, int64_t> numels = {{"a", 5}};
  auto m = torch::arange(5, torch::kFloat), v = torch::arange(5, torch::kFloat) * 2;
  std::vector<StatePiece> pieces = {{"a", 0, m.narrow(0, 0, 2), v.narrow(0, 0, 2)},
                                    {"a", 2, m.narrow(0, 2, 3), v.narrow(0, 2, 3)}};
  const auto state = assemble_state(7, pieces, numels, "test");
  EXPECT_EQ(state.step, 7);
  EXPECT_TRUE(torch::equal(state.moments.at("a").first, m));
  EXPECT_TRUE(torch::equal(state.moments.at("a").second, v));
  pieces.pop_back();
  EXPECT_THROW(assemble_state(7, pieces, numels, "test"), DataError);  // elements 2..4 missing
  pieces.push_back({"a", 4, m.narrow(0, 2, 3), v.narrow(0, 2, 3)});
  EXPECT_THROW(assemble_state(7, pieces, numels, "test"), DataError);  // runs past the end
  pieces.back() = {"b", 0, m, v};
  EXPECT_THROW(assemble_state(7, pieces, numels, "test"), DataError);  // unknown parameter
}

}  // namespace
}  // namespace cagcl::trainer
