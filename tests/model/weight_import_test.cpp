#include "model/weight_import.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "config/config.hpp"
#include "model/cagcl_model.hpp"
#include "model/model_export.hpp"

#include "tests/common/temp_dir.hpp"

namespace cagcl::model {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kImportVocab = 50;

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// A HuggingFace BertForMaskedLM-style file for the tiny preset's BERT: "bert." keys, an MLM head and the
// position_ids buffer, with values unlike the model's initialisation.
TensorMap hf_bert_file(const Config& config, int64_t vocab) {
  BertModel reference(bert_config(config.text, vocab));
  TensorMap file;
  torch::manual_seed(11);
  for (const auto& p : reference->named_parameters()) file["bert." + p.key()] = torch::randn(p.value().sizes());
  file["bert.embeddings.position_ids"] = torch::arange(512).unsqueeze(0);
  file["bert.pooler.dense.weight"] = torch::randn({config.text.width, config.text.width});
  file["cls.predictions.bias"] = torch::randn({vocab});
  return file;
}

class WeightImportTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  cagcl::test_support::TempDir temp_;
  fs::path dir_ = temp_.path();
};

TEST_F(WeightImportTest, HuggingFaceBertLoadsWithHeadsIgnored) {
  const Config config = load_config("tiny");
  const auto file = hf_bert_file(config, kImportVocab);
  write_safetensors(path("bert.safetensors"), file);
  BertModel bert(bert_config(config.text, kImportVocab));
  const auto report = load_bert_weights(*bert, path("bert.safetensors"));
  EXPECT_TRUE(report.missing.empty());
  EXPECT_TRUE(report.unexpected.empty());
  EXPECT_TRUE(contains(report.ignored, "cls.predictions.bias"));
  EXPECT_TRUE(contains(report.ignored, "bert.pooler.dense.weight"));
  EXPECT_TRUE(contains(report.ignored, "bert.embeddings.position_ids"));
  EXPECT_EQ(report.loaded.size(), bert->named_parameters().size());
  for (const auto& p : bert->named_parameters())
    EXPECT_TRUE(torch::equal(p.value(), file.at("bert." + p.key()))) << p.key();
}

TEST_F(WeightImportTest, MissingAndUnexpectedKeysAreReported) {
  const Config config = load_config("tiny");
  TensorMap file;
  BertModel bert(bert_config(config.text, kImportVocab));
  for (const auto& p : bert->named_parameters()) file[p.key()] = torch::zeros(p.value().sizes());  // no prefix
  file.erase("encoder.layer.0.output.dense.bias");
  file["encoder.layer.7.output.dense.bias"] = torch::zeros({config.text.width});
  // TensorFlow-era names are renamed like HF does.
  file["embeddings.LayerNorm.gamma"] = file.at("embeddings.LayerNorm.weight");
  file.erase("embeddings.LayerNorm.weight");
  write_safetensors(path("partial.safetensors"), file);
  const auto before = bert->named_parameters()["encoder.layer.0.output.dense.bias"].clone();
  const auto report = load_bert_weights(*bert, path("partial.safetensors"));
  EXPECT_EQ(report.missing, (std::vector<std::string>{"encoder.layer.0.output.dense.bias"}));
  EXPECT_EQ(report.unexpected, (std::vector<std::string>{"encoder.layer.7.output.dense.bias"}));
  EXPECT_TRUE(torch::equal(bert->named_parameters()["encoder.layer.0.output.dense.bias"], before));
  EXPECT_EQ(bert->named_parameters()["embeddings.LayerNorm.weight"].abs().sum().item<float>(), 0.0f);
}

TEST_F(WeightImportTest, ShapeMismatchIsAnErrorNamingTheKeyAndLeavesTheModelAlone) {
  const Config config = load_config("tiny");
  write_safetensors(path("other_vocab.safetensors"), hf_bert_file(config, kImportVocab + 1));
  BertModel bert(bert_config(config.text, kImportVocab));
  const auto before = bert->named_parameters()["encoder.layer.0.attention.self.query.weight"].clone();
  try {
    load_bert_weights(*bert, path("other_vocab.safetensors"));
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("embeddings.word_embeddings.weight"), std::string::npos) << what;
    EXPECT_NE(what.find("other_vocab.safetensors"), std::string::npos) << what;
  }
  EXPECT_TRUE(torch::equal(bert->named_parameters()["encoder.layer.0.attention.self.query.weight"], before));
}

TEST_F(WeightImportTest, TextWeightsConfigKeyLoadsBertIntoTheModel) {
  Config config = load_config("tiny");
  const auto file = hf_bert_file(config, kImportVocab);
  write_safetensors(path("bert.safetensors"), file);
  config.text.weights = path("bert.safetensors");
  CagclModel model(config, kImportVocab);
  const auto params = model->named_parameters();
  EXPECT_TRUE(torch::equal(params["text.bert.encoder.layer.0.attention.self.key.weight"],
                           file.at("bert.encoder.layer.0.attention.self.key.weight")));
}

TEST_F(WeightImportTest, BertRoundTripsThroughLoadAndExport) {
  Config config = load_config("tiny");
  const auto original = hf_bert_file(config, kImportVocab);
  write_safetensors(path("bert.safetensors"), original);
  config.text.weights = path("bert.safetensors");
  CagclModel model(config, kImportVocab);

  // What a checkpoint holds: every model parameter under its CagclModel name.
  TensorMap checkpoint;
  for (const auto& p : model->named_parameters()) checkpoint[p.key()] = p.value();
  fs::create_directories(dir_ / "step-00000003");
  write_safetensors((dir_ / "step-00000003" / "model.safetensors").string(), checkpoint, {{"config_hash", "abc"}});

  const auto whole = export_model((dir_ / "step-00000003").string(), path("model.safetensors"));
  EXPECT_EQ(whole.tensors, checkpoint.size());
  EXPECT_EQ(whole.metadata.at("config_hash"), "abc");
  EXPECT_EQ(whole.metadata.at("cagcl_format"), "cagcl-model");
  const auto bert_only = export_model((dir_ / "step-00000003").string(), path("bert_out.safetensors"), true);

  // The HF-named export equals the original file's BERT tensors, key for key.
  std::map<std::string, std::string> metadata;
  const auto exported = read_safetensors(path("bert_out.safetensors"), metadata);
  EXPECT_EQ(metadata.at("format"), "pt");
  size_t compared = 0;
  for (const auto& [name, tensor] : original) {
    if (name.rfind("bert.embeddings.position_ids", 0) == 0 || name.rfind("bert.pooler", 0) == 0 ||
        name.rfind("cls.", 0) == 0) {
      continue;
    }
    ASSERT_TRUE(exported.count(name.substr(5))) << name;
    EXPECT_TRUE(torch::equal(exported.at(name.substr(5)), tensor)) << name;
    ++compared;
  }
  EXPECT_EQ(compared, exported.size());

  // Both exports load back into a fresh text encoder with nothing missing.
  Config fresh_config = load_config("tiny");
  fresh_config.train.seed = 99;
  for (const auto& file : {path("model.safetensors"), path("bert_out.safetensors")}) {
    CagclModel fresh(fresh_config, kImportVocab);
    const auto report = load_bert_weights(*fresh->text()->bert(), file);
    EXPECT_TRUE(report.missing.empty()) << file;
    EXPECT_TRUE(report.unexpected.empty()) << file;
    EXPECT_TRUE(torch::equal(fresh->named_parameters()["text.bert.encoder.layer.0.output.dense.weight"],
                             original.at("bert.encoder.layer.0.output.dense.weight")))
        << file;
  }
}

TEST_F(WeightImportTest, VisionCheckpointWithAnotherGridIsInterpolated) {
  Config config = load_config("tiny");  // crop 32x64x64, patch 8x16x16: grid 4x4x4
  CagclModel trained(config, kImportVocab);
  TensorMap checkpoint;
  for (const auto& p : trained->named_parameters()) checkpoint[p.key()] = p.value();
  write_safetensors(path("trained.safetensors"), checkpoint);

  config.data.crop = {48, 64, 96};  // grid 6x4x6
  config.train.seed = 5;
  CagclModel target(config, kImportVocab);
  const auto report = load_vision_weights(*target->vision(), path("trained.safetensors"));
  EXPECT_TRUE(report.missing.empty());
  EXPECT_TRUE(report.unexpected.empty());
  ASSERT_EQ(report.interpolated.size(), 1u);
  EXPECT_NE(report.interpolated[0].find("pos_embed [1,4,4,4,32] -> [1,6,4,6,32]"), std::string::npos)
      << report.interpolated[0];
  const auto params = target->named_parameters();
  EXPECT_TRUE(torch::equal(params["vision.blocks.1.mlp.fc2.weight"], checkpoint.at("vision.blocks.1.mlp.fc2.weight")));
  EXPECT_TRUE(torch::allclose(params["vision.pos_embed"],
                              interpolate_position_embedding(checkpoint.at("vision.pos_embed"), Grid{6, 4, 6})));
}

TEST_F(WeightImportTest, ExportRefusesAFileThatIsNotAModel) {
  write_safetensors(path("random.safetensors"), {{"weights", torch::ones({2})}});
  EXPECT_THROW(export_model(path("random.safetensors"), path("out.safetensors")), DataError);
  EXPECT_THROW(export_model(path("absent"), path("out.safetensors")), UsageError);
  EXPECT_FALSE(fs::exists(path("out.safetensors")));
}

TEST_F(WeightImportTest, ExportFollowsARunDirectorysLatestPointer) {
  fs::create_directories(dir_ / "run" / "checkpoints" / "step-00000010");
  write_safetensors((dir_ / "run" / "checkpoints" / "step-00000010" / "model.safetensors").string(),
                    {{"tau_local", torch::full({}, 0.05)}});
  std::ofstream(dir_ / "run" / "checkpoints" / "LATEST") << "step-00000010\n";
  const auto summary = export_model((dir_ / "run").string(), path("out.safetensors"));
  EXPECT_NE(summary.source.find("step-00000010"), std::string::npos);
  EXPECT_EQ(read_safetensors(path("out.safetensors")).count("tau_local"), 1u);
}

}  // namespace
}  // namespace cagcl::model
