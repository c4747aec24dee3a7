#include "model/anatomy_pooling.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

namespace cagcl::model {
namespace {

constexpr int64_t kAnatomies = 3, kWidth = 16, kHeads = 2, kEmbed = 8;

TEST(AnatomyPooling, MembershipEqualsMaxPoolingEachMaskWithThePatch) {
  torch::manual_seed(4);
  const std::array<int64_t, 3> patch{2, 4, 4};
  // Sparse labels so that some tokens hold an anatomy and others do not.
  const auto labels =
      (torch::rand({2, 8, 16, 12}) < 0.03).to(torch::kUInt8) * torch::randint(1, 4, {2, 8, 16, 12}).to(torch::kUInt8);
  const auto membership = token_membership(labels, kAnatomies, patch);
  ASSERT_EQ(membership.sizes().vec(), (std::vector<int64_t>{2, kAnatomies, 4 * 4 * 3}));
  for (int64_t k = 1; k <= kAnatomies; ++k) {
    const auto mask = (labels == k).to(torch::kFloat).unsqueeze(1);
    const auto pooled = torch::max_pool3d(mask, {2, 4, 4}, {2, 4, 4}).flatten(1) > 0;
    EXPECT_TRUE(torch::equal(membership.select(1, k - 1), pooled)) << "anatomy " << k;
  }
  EXPECT_TRUE(membership.any().item<bool>());
  EXPECT_FALSE(membership.all().item<bool>());
}

TEST(AnatomyPooling, OutputIsOneUnitVectorPerSampleAndAnatomy) {
  torch::manual_seed(5);
  AnatomyPooling pooling(kAnatomies, kWidth, kHeads, kEmbed);
  const std::vector<torch::Tensor> tokens = {torch::randn({2, 10, kWidth}), torch::randn({2, 10, kWidth})};
  const auto membership = torch::rand({2, kAnatomies, 10}) < 0.5;
  const auto v = pooling->forward(tokens, membership);
  EXPECT_EQ(v.sizes().vec(), (std::vector<int64_t>{2, kAnatomies, kEmbed}));
  EXPECT_TRUE(torch::allclose(v.norm(2, -1), torch::ones({2, kAnatomies}), 1e-5, 1e-5));
}

TEST(AnatomyPooling, TokensOutsideTheAnatomyDoNotChangeItsEmbedding) {
  torch::manual_seed(6);
  AnatomyPooling pooling(kAnatomies, kWidth, kHeads, kEmbed);
  torch::NoGradGuard no_grad;
  auto shallow = torch::randn({1, 12, kWidth});
  auto deep = torch::randn({1, 12, kWidth});
  auto membership = torch::zeros({1, kAnatomies, 12}, torch::kBool);
  membership[0][0].slice(0, 0, 4).fill_(true);    // anatomy 0: tokens 0..3
  membership[0][1].slice(0, 3, 9).fill_(true);    // anatomy 1: tokens 3..8
  membership[0][2].slice(0, 10, 12).fill_(true);  // anatomy 2: tokens 10, 11
  const auto before = pooling->forward({shallow, deep}, membership);

  // Change every token outside anatomy 0, at every depth.
  auto shallow2 = shallow.clone(), deep2 = deep.clone();
  shallow2.slice(1, 4, 12).normal_();
  deep2.slice(1, 4, 12).normal_();
  const auto after = pooling->forward({shallow2, deep2}, membership);
  EXPECT_TRUE(torch::allclose(before[0][0], after[0][0], 1e-6, 1e-6));
  EXPECT_FALSE(torch::allclose(before[0][1], after[0][1], 1e-3, 1e-3));

  // A change inside the anatomy, at the deeper depth only, does change it: both depths are attended.
  auto deep3 = deep.clone();
  deep3.slice(1, 0, 4).normal_();
  EXPECT_FALSE(torch::allclose(before[0][0], pooling->forward({shallow, deep3}, membership)[0][0], 1e-3, 1e-3));
}

TEST(AnatomyPooling, AnAnatomyWithoutTokensGivesNoNaN) {
  torch::manual_seed(7);
  AnatomyPooling pooling(kAnatomies, kWidth, kHeads, kEmbed);
  for (auto& p : pooling->parameters()) p.data().normal_();  // non-zero biases, as after training
  const auto tokens = torch::randn({2, 6, kWidth}, torch::requires_grad());
  auto membership = torch::ones({2, kAnatomies, 6}, torch::kBool);
  membership[1][2].fill_(false);  // sample 1 has no token of anatomy 2
  membership[0].fill_(false);     // sample 0 has no anatomy at all
  const auto v = pooling->forward({tokens}, membership);
  EXPECT_FALSE(v.isnan().any().item<bool>());
  v.sum().backward();
  EXPECT_FALSE(tokens.grad().isnan().any().item<bool>());
  for (const auto& p : pooling->parameters()) EXPECT_FALSE(p.grad().isnan().any().item<bool>());
  // Sample 0 depends on no token.
  EXPECT_EQ(tokens.grad()[0].abs().sum().item<float>(), 0.0f);
}

TEST(AnatomyPooling, ParameterNames) {
  AnatomyPooling pooling(2, kWidth, kHeads, kEmbed);
  std::set<std::string> names;
  for (const auto& p : pooling->named_parameters()) names.insert(p.key());
  EXPECT_EQ(names, (std::set<std::string>{"queries", "attention.in_proj_weight", "attention.in_proj_bias",
                                          "attention.out_proj.weight", "attention.out_proj.bias", "norm.weight",
                                          "norm.bias", "projections.0.weight", "projections.1.weight"}));
}

}  // namespace
}  // namespace cagcl::model
