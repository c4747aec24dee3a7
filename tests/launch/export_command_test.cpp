// `cagcl export` end to end: the executable reads a checkpoint directory and writes the weights.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "model/safetensors.hpp"

#include "tests/common/temp_dir.hpp"

#include "tests/common/shell_command.hpp"

namespace cagcl {
namespace {

namespace fs = std::filesystem;

using Result = test_support::CommandResult;

Result run_export_cagcl(const std::string& args) {
  return test_support::run_shell(std::string("'") + CAGCL_BINARY + "' " + args + " 2>&1");
}

class ExportCommandTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(dir_ / "step-00000002"); }
  cagcl::test_support::TempDir temp_;
  fs::path dir_ = temp_.path();
};

TEST_F(ExportCommandTest, WritesTheCheckpointsWeightsWithMetadata) {
  model::write_safetensors(
      (dir_ / "step-00000002" / "model.safetensors").string(),
      {{"tau_local", torch::full({}, 0.07)}, {"text.bert.embeddings.LayerNorm.bias", torch::ones({4})}},
      {{"config_hash", "0123"}});
  const auto out = (dir_ / "exported.safetensors").string();
  const Result r =
      run_export_cagcl("export --checkpoint '" + (dir_ / "step-00000002").string() + "' --out '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::map<std::string, std::string> metadata;
  const auto tensors = model::read_safetensors(out, metadata);
  EXPECT_EQ(tensors.size(), 2u);
  EXPECT_EQ(metadata.at("config_hash"), "0123");
  EXPECT_EQ(metadata.at("format"), "pt");
}

TEST_F(ExportCommandTest, BadCheckpointIsAnErrorNamingIt) {
  const Result missing = run_export_cagcl("export --checkpoint '" + (dir_ / "nothing").string() + "' --out '" +
                                          (dir_ / "x.safetensors").string() + "'");
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_NE(missing.out.find("nothing"), std::string::npos) << missing.out;
  const auto junk = (dir_ / "junk.safetensors").string();
  std::ofstream(junk) << "not safetensors";
  const Result bad =
      run_export_cagcl("export --checkpoint '" + junk + "' --out '" + (dir_ / "x.safetensors").string() + "'");
  EXPECT_EQ(bad.exit_code, 3) << bad.out;
  EXPECT_NE(bad.out.find("junk.safetensors"), std::string::npos) << bad.out;
  EXPECT_FALSE(fs::exists(dir_ / "x.safetensors"));
}

// --bert-only into a directory needs what the tensors lack (the heads, the vocabulary): without the run's
// configuration or vocabulary it stops with exit 2 naming the flag to give, and writes nothing.
TEST_F(ExportCommandTest, BertDirectoryExportNeedsTheRunsConfigurationAndVocabulary) {
  model::write_safetensors((dir_ / "bare.safetensors").string(),
                           {{"text.bert.embeddings.LayerNorm.bias", torch::ones({32})}});
  const auto out = (dir_ / "hf").string();
  const Result no_config = run_export_cagcl("export --checkpoint '" + (dir_ / "bare.safetensors").string() +
                                            "' --bert-only --out '" + out + "'");
  EXPECT_EQ(no_config.exit_code, 2) << no_config.out;
  EXPECT_NE(no_config.out.find("--config"), std::string::npos) << no_config.out;
  std::ofstream(dir_ / "run.yaml") << "base: tiny\ndata:\n  dir: " << (dir_ / "no-dataset").string() << "\n";
  const Result no_vocab =
      run_export_cagcl("export --checkpoint '" + (dir_ / "bare.safetensors").string() + "' --config '" +
                       (dir_ / "run.yaml").string() + "' --bert-only --out '" + out + "'");
  EXPECT_EQ(no_vocab.exit_code, 2) << no_vocab.out;
  EXPECT_NE(no_vocab.out.find("--vocab"), std::string::npos) << no_vocab.out;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(ExportCommandTest, HasHelp) {
  const Result r = run_export_cagcl("export --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--bert-only"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("config.json"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--vocab"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cagcl
