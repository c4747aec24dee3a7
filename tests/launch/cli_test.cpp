// End-to-end checks of the `cagcl` executable: the sub-commands a user types, their output and exit codes.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "data/schema.hpp"

#include "tests/common/shell_command.hpp"

namespace cagcl {
namespace {

using Result = test_support::CommandResult;  // out: stdout, or stdout+stderr when asked

// Runs the built `cagcl` with arguments that the tests control (no user strings reach the shell).
Result run_cagcl(const std::string& args, bool merge_stderr = false) {
  return test_support::run_shell(std::string("'") + CAGCL_BINARY + "' " + args +
                                 (merge_stderr ? " 2>&1" : " 2>/dev/null"));
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cagcl_cli_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // Writes `content` to dir_/name and returns its path, quoted for the shell command line.
  std::string file(const std::string& name, const std::string& content) {
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return "'" + (dir_ / name).string() + "'";
  }
  std::filesystem::path dir_;
};

}  // namespace

TEST_F(CliTest, SynthThenInspectReportsSamplesAnatomiesLabelsAndEveryFinding) {
  // The acceptance check, at a small volume size so it runs in seconds.
  const auto data = (dir_ / "d").string();
  ASSERT_EQ(run_cagcl("synth --out '" + data + "' --volumes 64 --shards 2 --size 16x32x32").exit_code, 0);
  const Result inspect = run_cagcl("inspect '" + data + "' --json");
  ASSERT_EQ(inspect.exit_code, 0);
  const auto j = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(j["samples"], 64);
  EXPECT_EQ(j["anatomies"], data::default_anatomies());
  EXPECT_EQ(j["labels"], data::ct_rate_labels());
  EXPECT_EQ(j["shards"].size(), 2u);
  for (const auto& label : data::ct_rate_labels())
    EXPECT_GT(j["label_prevalence"][label]["positives"].get<int>(), 0) << label;
  for (const auto& anatomy : data::default_anatomies()) {
    EXPECT_EQ(j["anatomy_stats"][anatomy]["present_fraction"], 1.0) << anatomy;
    // No organ runs through a face of the phantom volume, so every one can be intact in training.
    EXPECT_GE(j["anatomy_stats"][anatomy]["intact_fraction"].get<double>(), 0.95) << anatomy;
  }
  EXPECT_GT(j["storage"]["compression_ratio"].get<double>(), 1.0);
  EXPECT_EQ(j["patients"]["in_more_than_one_split"], 0);
  EXPECT_GT(j["patients"]["with_multiple_scans"].get<int>(), 0);
}

TEST_F(CliTest, InspectOfOneShardAndTextOutput) {
  const auto data = (dir_ / "d").string();
  ASSERT_EQ(run_cagcl("synth --out '" + data + "' --volumes 4 --size 16x32x32").exit_code, 0);
  const Result text = run_cagcl("inspect '" + data + "/shard-00000.h5'");
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("4 samples"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Lung nodule"), std::string::npos) << text.out;
}

// A path is bytes, not necessarily UTF-8: the JSON report must still be written (U+FFFD for the bad byte) instead
// of ending in nlohmann's type_error as an internal error.
TEST_F(CliTest, InspectJsonOfADatasetWhosePathIsNotUtf8) {
  const std::string data = (dir_ / "data-\xff").string();
  ASSERT_EQ(run_cagcl("synth --out '" + data + "' --volumes 4 --size 16x32x32").exit_code, 0);
  const Result inspect = run_cagcl("inspect '" + data + "' --json");
  ASSERT_EQ(inspect.exit_code, 0) << run_cagcl("inspect '" + data + "' --json", true).out;
  const auto j = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(j["samples"].get<int>(), 4);
  EXPECT_NE(inspect.out.find("data-\xef\xbf\xbd"), std::string::npos) << "the bad byte becomes U+FFFD";
}

TEST_F(CliTest, SynthRefusesToOverwriteAnExistingDataset) {
  const auto data = (dir_ / "d").string();
  ASSERT_EQ(run_cagcl("synth --out '" + data + "' --volumes 2 --size 16x32x32").exit_code, 0);
  const Result again = run_cagcl("synth --out '" + data + "' --volumes 2 --size 16x32x32", true);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.out.find("dataset.json"), std::string::npos) << again.out;
}

TEST_F(CliTest, BadFlagValuesNameTheFlagAndExitWithUsageCode) {
  const auto data = (dir_ / "d").string();
  const Result size = run_cagcl("synth --out '" + data + "' --size 16x32", true);
  EXPECT_EQ(size.exit_code, 2);
  EXPECT_NE(size.out.find("--size"), std::string::npos) << size.out;
  const Result spacing = run_cagcl("synth --out '" + data + "' --spacing 1,0,1", true);
  EXPECT_EQ(spacing.exit_code, 2);
  EXPECT_NE(spacing.out.find("--spacing"), std::string::npos) << spacing.out;
  const Result config = run_cagcl("config --config tiny --set train.lrr=1", true);
  EXPECT_EQ(config.exit_code, 2);
  EXPECT_NE(config.out.find("train.lrr"), std::string::npos) << config.out;
}

TEST_F(CliTest, InspectOfAMissingPathIsAnErrorNamingIt) {
  const Result r = run_cagcl("inspect '" + (dir_ / "nothing").string() + "'", true);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("nothing"), std::string::npos) << r.out;
}

TEST_F(CliTest, EveryCommandHasHelp) {
  for (const char* sub : {"", "synth ", "inspect ", "config ", "tokenize "}) {
    const Result r = run_cagcl(std::string(sub) + "--help");
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub;
  }
}

TEST_F(CliTest, ConfigPrintsAndSavesTheResolvedConfig) {
  std::filesystem::create_directories(dir_);
  const auto out = (dir_ / "resolved.yaml").string();
  const Result r = run_cagcl("config --config tiny --set train.steps=7 --out '" + out + "'");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("steps: 7"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(out));
}

TEST_F(CliTest, TokenizePrintsClsIdsSepPerInputLine) {
  const std::string vocab = file("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nlung\n.\nnodule\n##s\n");
  const std::string input = file("in.txt", "Lung nodules.\n\nheart\nLUNG\n");
  const Result r = run_cagcl("tokenize --vocab " + vocab + " < " + input);
  ASSERT_EQ(r.exit_code, 0);
  // [CLS] lung nodule ##s . [SEP] / empty line / [UNK] / lower-cased
  EXPECT_EQ(r.out, "2 4 6 7 5 3\n2 3\n2 1 3\n2 4 3\n");
  const Result cut = run_cagcl("tokenize --vocab " + vocab + " --max-len 3 < " + input);
  ASSERT_EQ(cut.exit_code, 0);
  EXPECT_EQ(cut.out, "2 4 3\n2 3\n2 1 3\n2 4 3\n");
}

TEST_F(CliTest, TokenizeErrorsNameTheFileOrFlag) {
  const std::string input = file("in.txt", "lung\n");
  const Result missing = run_cagcl("tokenize --vocab '" + (dir_ / "absent.txt").string() + "' < " + input, true);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("absent.txt"), std::string::npos) << missing.out;
  const std::string no_cls = file("bad.txt", "[PAD]\n[UNK]\n[SEP]\n");
  const Result bad = run_cagcl("tokenize --vocab " + no_cls + " < " + input, true);
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.out.find("[CLS]"), std::string::npos) << bad.out;
  const Result len = run_cagcl("tokenize --vocab " + no_cls + " --max-len 1 < " + input, true);
  EXPECT_EQ(len.exit_code, 2);
  EXPECT_NE(len.out.find("--max-len"), std::string::npos) << len.out;
}

TEST_F(CliTest, SynthWritesAVocabThatCoversItsReports) {
  const auto data = (dir_ / "d").string();
  ASSERT_EQ(run_cagcl("synth --out '" + data + "' --volumes 8 --size 16x32x32").exit_code, 0);
  ASSERT_TRUE(std::filesystem::exists(dir_ / "d" / "vocab.txt"));
  std::ifstream manifest(dir_ / "d" / "dataset.json");
  const auto j = nlohmann::json::parse(manifest);
  EXPECT_EQ(j["generator"]["vocab"], "vocab.txt");
  const std::string input =
      file("in.txt", "Lung shows no significant abnormalities.\nThere is no Pleural effusion in the lung.\n");
  const Result r = run_cagcl("tokenize --vocab '" + data + "/vocab.txt' < " + input);
  ASSERT_EQ(r.exit_code, 0);
  // 2 lines, [CLS]=2 ... [SEP]=3, no [UNK]=1: every word of these is in the synthetic vocabulary.
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
  EXPECT_EQ(r.out.rfind("2 ", 0), 0u) << r.out;
  EXPECT_EQ(r.out.find(" 1 "), std::string::npos) << r.out;
  // The same corpus gives the same vocabulary.
  const auto again = (dir_ / "e").string();
  ASSERT_EQ(run_cagcl("synth --out '" + again + "' --volumes 8 --size 16x32x32").exit_code, 0);
  std::ifstream a(dir_ / "d" / "vocab.txt"), b(dir_ / "e" / "vocab.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}), std::string(std::istreambuf_iterator<char>(b), {}));
}

}  // namespace cagcl
