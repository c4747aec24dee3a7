#include "model/cagcl_model.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "config/config.hpp"

namespace cagcl::model {
namespace {

constexpr int64_t kVocab = 50;

// A tiny-preset batch: each of the 4 anatomies is a box inside the 32x64x64 crop; anatomy 4 is absent in
// sample 1 (not intact there).
data::Batch tiny_batch(const Config& config, int64_t B = 2) {
  const auto& crop = config.data.crop;
  const int64_t A = static_cast<int64_t>(config.data.anatomies.size()), L = config.text.max_length;
  data::Batch batch;
  batch.image = torch::rand({B, 1, crop[0], crop[1], crop[2]});
  batch.anatomy = torch::zeros({B, crop[0], crop[1], crop[2]}, torch::kUInt8);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t a = 0; a < A; ++a) {
      if (b == 1 && a == A - 1) continue;
      batch.anatomy[b].slice(0, 2 + 6 * a, 6 + 6 * a).slice(1, 10, 40).slice(2, 5 + a, 30 + a).fill_(a + 1);
    }
  }
  batch.intact = torch::ones({B, A}, torch::kBool);
  batch.intact[1][A - 1] = false;
  batch.normal = torch::zeros({B, A}, torch::kBool);
  batch.text_id = torch::arange(B * A).view({B, A});
  batch.token_ids = torch::randint(5, kVocab, {B, A, L});
  batch.attention = torch::ones({B, A, L}, torch::kLong);
  batch.attention.slice(2, L / 2).zero_();
  batch.token_ids.masked_fill_(batch.attention == 0, 0);
  batch.valid = torch::ones({B}, torch::kBool);
  return batch;
}

TEST(CagclModel, ForwardGivesUnitEmbeddingsPerSampleAndAnatomy) {
  const Config config = load_config("tiny");
  CagclModel model(config, kVocab);
  torch::manual_seed(8);
  const auto batch = tiny_batch(config);
  const auto e = model(batch);
  const int64_t E = config.model.embed_dim;
  EXPECT_EQ(e.v.sizes().vec(), (std::vector<int64_t>{2, 4, E}));
  EXPECT_EQ(e.t.sizes().vec(), (std::vector<int64_t>{2, 4, E}));
  EXPECT_FALSE(e.v.isnan().any().item<bool>());
  // Unit rows wherever the anatomy has tokens; the absent one (sample 1, anatomy 4) only has to be finite.
  const auto present = batch.intact;
  EXPECT_TRUE(torch::allclose(e.v.norm(2, -1).masked_select(present), torch::ones({7}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(e.t.norm(2, -1), torch::ones({2, 4}), 1e-5, 1e-5));
  // The text side is the same function as encode_text on the flattened texts.
  const auto t = model->encode_text(batch.token_ids.view({8, -1}), batch.attention.view({8, -1}));
  EXPECT_TRUE(torch::allclose(t.view({2, 4, -1}), e.t, 1e-5, 1e-6));
}

TEST(CagclModel, EveryParameterGetsAFiniteGradient) {
  const Config config = load_config("tiny");
  CagclModel model(config, kVocab);
  torch::manual_seed(9);
  const auto e = model(tiny_batch(config));
  ((e.v * e.t).sum() / model->tau_local() + 0 * model->tau_global()).backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_FALSE(p.value().grad().isnan().any().item<bool>()) << p.key();
  }
}

TEST(CagclModel, ParameterNamesUseTheDocumentedPrefixes) {
  Config config = load_config("tiny");
  config.model.separate_global_tau = true;
  CagclModel model(config, kVocab);
  std::set<std::string> names;
  for (const auto& p : model->named_parameters()) {
    const auto& n = p.key();
    const bool ok = n.rfind("vision.", 0) == 0 || n.rfind("pooling.", 0) == 0 || n.rfind("text.bert.", 0) == 0 ||
                    n.rfind("text.projection.", 0) == 0 || n == "tau_local" || n == "tau_global";
    EXPECT_TRUE(ok) << n;
    names.insert(n);
  }
  for (const char* n :
       {"vision.pos_embed", "pooling.queries", "text.bert.embeddings.word_embeddings.weight",
        "text.bert.encoder.layer.0.attention.self.query.weight", "text.projection.weight", "tau_local", "tau_global"}) {
    EXPECT_TRUE(names.count(n)) << n;
  }
  EXPECT_EQ(model->named_parameters()["text.bert.embeddings.word_embeddings.weight"].size(0), kVocab);
}

TEST(CagclModel, InitialisationDependsOnTheSeedOnly) {
  Config config = load_config("tiny");
  torch::manual_seed(1);
  CagclModel a(config, kVocab);
  torch::manual_seed(2);  // the global RNG plays no part
  const auto global_before = torch::rand({4});
  torch::manual_seed(2);
  CagclModel b(config, kVocab);
  EXPECT_TRUE(torch::equal(torch::rand({4}), global_before)) << "construction consumed the global RNG";
  config.train.seed += 1;
  CagclModel c(config, kVocab);
  const auto pa = a->named_parameters(), pb = b->named_parameters(), pc = c->named_parameters();
  for (const auto& p : pa) {
    EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  }
  EXPECT_FALSE(torch::equal(pa["vision.pos_embed"], pc["vision.pos_embed"]));
  EXPECT_EQ(pa["text.bert.embeddings.LayerNorm.weight"].min().item<float>(), 1.0f);
  EXPECT_EQ(pa["vision.blocks.0.attn.qkv.bias"].abs().max().item<float>(), 0.0f);
}

TEST(CagclModel, TemperaturesStartAtTauInitAndAreClamped) {
  Config config = load_config("tiny");
  CagclModel shared(config, kVocab);
  EXPECT_FLOAT_EQ(shared->tau_local().item<float>(), static_cast<float>(config.model.tau_init));
  EXPECT_EQ(shared->tau_global().item<float>(), shared->tau_local().item<float>());
  {
    torch::NoGradGuard no_grad;
    shared->named_parameters()["tau_local"].fill_(5.0);
  }
  EXPECT_FLOAT_EQ(shared->tau_local().item<float>(), static_cast<float>(config.model.tau_max));
  shared->clamp_temperatures();
  EXPECT_FLOAT_EQ(shared->named_parameters()["tau_local"].item<float>(), static_cast<float>(config.model.tau_max));

  config.model.separate_global_tau = true;
  CagclModel separate(config, kVocab);
  {
    torch::NoGradGuard no_grad;
    separate->named_parameters()["tau_global"].fill_(1e-6);
  }
  EXPECT_FLOAT_EQ(separate->tau_global().item<float>(), static_cast<float>(config.model.tau_min));
  EXPECT_FLOAT_EQ(separate->tau_local().item<float>(), static_cast<float>(config.model.tau_init));
}

TEST(CagclModel, EncodeImageTakesOtherVolumeSizes) {
  const Config config = load_config("tiny");
  CagclModel model(config, kVocab);
  torch::NoGradGuard no_grad;
  auto anatomy = torch::zeros({1, 16, 64, 96}, torch::kUInt8);
  anatomy[0].slice(0, 0, 8).slice(1, 0, 32).fill_(1);
  const auto v = model->encode_image(torch::rand({1, 1, 16, 64, 96}), anatomy);
  EXPECT_EQ(v.sizes().vec(), (std::vector<int64_t>{1, 4, config.model.embed_dim}));
  EXPECT_FALSE(v.isnan().any().item<bool>());
}

}  // namespace
}  // namespace cagcl::model
