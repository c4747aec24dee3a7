#include "model/vision_transformer.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "common/error.hpp"
#include "config/config.hpp"

namespace cagcl::model {
namespace {

VisionConfig tiny_vision() { return load_config("tiny").vision; }

TEST(VisionTransformer, ReturnsTheConfiguredLayersAsTokenTensors) {
  torch::manual_seed(1);
  auto config = tiny_vision();  // patch 8x16x16, width 32, depth 2
  config.return_layers = {2, 1};
  VisionTransformer vit(config, Grid{4, 4, 4});
  const auto out = vit(torch::rand({2, 1, 32, 64, 64}));
  ASSERT_EQ(out.size(), 2u);
  for (const auto& t : out) EXPECT_EQ(t.sizes().vec(), (std::vector<int64_t>{2, 64, 32}));
  // The last block's output is layer-normed (affine weight 1, bias 0 at construction): zero mean per token.
  EXPECT_LT(out[0].mean(-1).abs().max().item<float>(), 1e-4);
  EXPECT_GT(out[1].mean(-1).abs().max().item<float>(), 1e-3);
}

TEST(VisionTransformer, LaterLayersDoNotChangeEarlierOutputs) {
  torch::manual_seed(1);
  auto config = tiny_vision();
  config.depth = 3;
  config.return_layers = {1};
  VisionTransformer shallow(config, Grid{4, 4, 4});
  config.return_layers = {1, 3};
  VisionTransformer deep(config, Grid{4, 4, 4});
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < shallow->parameters().size(); ++i) deep->parameters()[i].copy_(shallow->parameters()[i]);
  const auto image = torch::rand({1, 1, 32, 64, 64});
  EXPECT_TRUE(torch::equal(shallow(image)[0], deep(image)[0]));
}

TEST(VisionTransformer, BaseMatchesFvlmsGridAndSizes) {
  const Config base = load_config("base");
  Grid grid{};
  for (size_t i = 0; i < 3; ++i) grid[i] = base.data.crop[i] / base.vision.patch[i];
  EXPECT_EQ(grid, (Grid{7, 16, 11}));
  EXPECT_EQ(base.vision.width, 768);
  EXPECT_EQ(base.vision.depth, 12);
  EXPECT_EQ(base.vision.heads, 12);
  EXPECT_EQ(static_cast<int64_t>(base.vision.width * base.vision.mlp_ratio), 3072);
  EXPECT_EQ(base.vision.return_layers, (std::vector<int64_t>{4, 7, 10, 12}));
}

TEST(VisionTransformer, ParameterNames) {
  VisionTransformer vit(tiny_vision(), Grid{4, 4, 4});
  std::set<std::string> names;
  for (const auto& p : vit->named_parameters()) names.insert(p.key());
  for (const char* name : {"patch_embed.proj.weight", "patch_embed.proj.bias", "pos_embed", "blocks.0.norm1.weight",
                           "blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias", "blocks.0.attn.proj.weight",
                           "blocks.1.norm2.bias", "blocks.1.mlp.fc1.weight", "blocks.1.mlp.fc2.bias", "norm.weight"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
  EXPECT_EQ(vit->pos_embed().sizes().vec(), (std::vector<int64_t>{1, 4, 4, 4, 32}));
}

TEST(VisionTransformer, PositionEmbeddingInterpolationKeepsAnUnchangedGrid) {
  torch::manual_seed(2);
  const auto pos = torch::randn({1, 3, 4, 5, 6});
  EXPECT_TRUE(torch::allclose(interpolate_position_embedding(pos, Grid{3, 4, 5}), pos, 0, 1e-6));
}

TEST(VisionTransformer, PositionEmbeddingInterpolationResamplesToTheNewGrid) {
  // A field linear along H stays linear (trilinear is exact on it away from the clamped border).
  auto pos = torch::arange(4, torch::kFloat).view({1, 1, 4, 1, 1}).expand({1, 2, 4, 3, 5}).contiguous();
  const auto out = interpolate_position_embedding(pos, Grid{5, 8, 2});
  EXPECT_EQ(out.sizes().vec(), (std::vector<int64_t>{1, 5, 8, 2, 5}));
  // Output cell j of 8 maps to input coordinate (j + 0.5) / 2 - 0.5; j = 3 -> 1.25.
  EXPECT_NEAR(out[0][0][3][0][0].item<float>(), 1.25f, 1e-6);
  EXPECT_NEAR(out[0][4][3][1][4].item<float>(), 1.25f, 1e-6);
}

TEST(VisionTransformer, AnotherInputSizeUsesTheInterpolatedPositionEmbedding) {
  VisionTransformer vit(tiny_vision(), Grid{4, 4, 4});
  const auto out = vit(torch::rand({1, 1, 16, 32, 96}));  // grid 2x2x6
  EXPECT_EQ(out.back().sizes().vec(), (std::vector<int64_t>{1, 24, 32}));
  EXPECT_THROW(vit(torch::rand({1, 1, 30, 64, 64})), UsageError);
}

}  // namespace
}  // namespace cagcl::model
