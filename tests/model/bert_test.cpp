#include "model/bert.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>
#include <string>

#include "model/safetensors.hpp"
#include "model/weight_import.hpp"

namespace cagcl::model {
namespace {

const std::string kData = std::string(CAGCL_SOURCE_DIR) + "/tests/model/data/";

// The sizes of tests/model/make_bert_reference.py, read from the fixture's metadata.
BertConfig reference_config(const std::map<std::string, std::string>& metadata) {
  BertConfig c;
  c.vocab_size = std::stoll(metadata.at("vocab_size"));
  c.hidden_size = std::stoll(metadata.at("hidden_size"));
  c.num_heads = std::stoll(metadata.at("num_heads"));
  c.num_layers = std::stoll(metadata.at("num_layers"));
  c.intermediate_size = std::stoll(metadata.at("intermediate_size"));
  c.max_position_embeddings = std::stoll(metadata.at("max_position_embeddings"));
  return c;
}

TEST(Bert, ForwardMatchesTheIndependentNumpyReference) {
  std::map<std::string, std::string> metadata;
  const auto cases = read_safetensors(kData + "bert_reference_case.safetensors", metadata);
  BertModel bert(reference_config(metadata));
  const auto report = load_bert_weights(*bert, kData + "bert_reference_weights.safetensors");
  ASSERT_TRUE(report.missing.empty());
  const auto& expected = cases.at("last_hidden_state");
  const auto& ids = cases.at("input_ids");
  const auto& mask = cases.at("attention_mask");
  const auto& types = cases.at("token_type_ids");
  torch::NoGradGuard no_grad;

  // In float64 the C++ forward and the numpy one differ only by rounding order.
  bert->to(torch::kDouble);
  const auto out64 = bert(ids, mask, types);
  ASSERT_EQ(out64.sizes(), expected.sizes());
  // Padded positions carry values too, but nothing reads them; compare the real tokens.
  const auto real = mask.to(torch::kBool).unsqueeze(-1).expand_as(expected);
  EXPECT_LT((out64 - expected).abs().masked_select(real).max().item<double>(), 1e-10);

  bert->to(torch::kFloat);
  const auto out32 = bert(ids, mask, types).to(torch::kDouble);
  EXPECT_LT((out32 - expected).abs().masked_select(real).max().item<double>(), 1e-4);
}

TEST(Bert, PaddingDoesNotChangeTheRealTokens) {
  torch::manual_seed(3);
  BertConfig c;
  c.vocab_size = 20, c.hidden_size = 8, c.num_heads = 2, c.num_layers = 2, c.intermediate_size = 16;
  BertModel bert(c);
  torch::NoGradGuard no_grad;
  const auto short_ids = torch::tensor({{2, 5, 7, 3}});
  const auto long_ids = torch::tensor({{2, 5, 7, 3, 11, 12}});  // junk in the padded positions
  const auto a = bert(short_ids, torch::ones_like(short_ids));
  const auto b = bert(long_ids, torch::tensor({{1, 1, 1, 1, 0, 0}}));
  EXPECT_TRUE(torch::allclose(a, b.slice(1, 0, 4), 1e-5, 1e-6));
}

TEST(Bert, ParameterNamesAreHuggingFaces) {
  BertConfig c;
  c.vocab_size = 10, c.hidden_size = 4, c.num_heads = 2, c.num_layers = 2, c.intermediate_size = 8;
  BertModel bert(c);
  std::set<std::string> names;
  for (const auto& p : bert->named_parameters()) names.insert(p.key());
  std::set<std::string> expected = {"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                                    "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight",
                                    "embeddings.LayerNorm.bias"};
  for (int i = 0; i < 2; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    for (const char* m :
         {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
          "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"}) {
      expected.insert(p + m + ".weight");
      expected.insert(p + m + ".bias");
    }
  }
  EXPECT_EQ(names, expected);
  EXPECT_TRUE(bert->named_buffers().is_empty());
}

TEST(Bert, ExtendedAttentionMaskIsZeroForTokensAndLowestForPadding) {
  const auto m = bert_extended_attention_mask(torch::tensor({{1, 0}}), torch::kFloat);
  EXPECT_EQ(m.sizes().vec(), (std::vector<int64_t>{1, 1, 1, 2}));
  EXPECT_EQ(m[0][0][0][0].item<float>(), 0.0f);
  EXPECT_EQ(m[0][0][0][1].item<float>(), std::numeric_limits<float>::lowest());
}

}  // namespace
}  // namespace cagcl::model
