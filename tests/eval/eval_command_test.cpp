#include <torch/torch.h>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/config.hpp"
#include "data/tokenizer.hpp"
#include "model/cagcl_model.hpp"
#include "model/safetensors.hpp"
#include "tests/data/storage_test_util.hpp"

#include "tests/common/shell_command.hpp"

namespace cagcl {
namespace {

using data::testing::TempDir;

using Result = test_support::CommandResult;

// Runs a command line the test builds itself (no user strings reach the shell); stdout + stderr.
Result run(const std::string& command) { return test_support::run_shell(command + " 2>&1"); }

std::string cagcl() { return std::string("'") + CAGCL_BINARY + "'"; }

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every number of `a` equals the one of `b` (to 1e-12), same structure; `path` names the place on failure.
void expect_same_numbers(const nlohmann::json& a, const nlohmann::json& b, const std::string& path) {
  ASSERT_EQ(a.type(), b.type()) << path;
  if (a.is_object()) {
    ASSERT_EQ(a.size(), b.size()) << path;
    for (auto it = a.begin(); it != a.end(); ++it) {
      ASSERT_TRUE(b.contains(it.key())) << path << "." << it.key();
      expect_same_numbers(it.value(), b[it.key()], path + "." + it.key());
    }
  } else if (a.is_array()) {
    ASSERT_EQ(a.size(), b.size()) << path;
    for (size_t i = 0; i < a.size(); ++i) expect_same_numbers(a[i], b[i], path + "[" + std::to_string(i) + "]");
  } else if (a.is_number_float()) {
    EXPECT_NEAR(a.get<double>(), b.get<double>(), 1e-12) << path;
  } else {
    EXPECT_EQ(a, b) << path;
  }
}

// report.json's "retrieval": K = 1, 5, 10, one entry per anatomy, every recall a fraction (null only where
// the anatomy has no query, and then it is out of the mean).
void expect_retrieval_fractions(const nlohmann::json& report) {
  const auto& r = report["retrieval"];
  ASSERT_TRUE(r.is_object()) << report.dump(1);
  EXPECT_EQ(r["k"], nlohmann::json({1, 5, 10}));
  ASSERT_EQ(r["anatomies"].size(), report["anatomies"].size());
  const auto fraction = [](const nlohmann::json& v, bool may_be_null, const std::string& where) {
    if (v.is_null()) {
      EXPECT_TRUE(may_be_null) << where;
      return;
    }
    EXPECT_GE(v.get<double>(), 0.0) << where;
    EXPECT_LE(v.get<double>(), 1.0) << where;
  };
  for (const auto& a : r["anatomies"])
    for (const char* direction : {"image_to_report", "report_to_image"})
      for (const auto& [k, v] : a[direction]["recall"].items())
        fraction(v, !a["in_mean"].get<bool>(), a["name"].get<std::string>() + " " + direction + " " + k);
  const bool any = r["anatomies_in_mean"].get<int>() > 0;
  for (const char* direction : {"image_to_report", "report_to_image"}) {
    ASSERT_EQ(r["mean"][direction].size(), 3u);
    for (const auto& [k, v] : r["mean"][direction].items())
      fraction(v, !any, std::string("mean ") + direction + " " + k);
  }
}

class EvalCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto synth = run(cagcl() + " synth --out '" + (dir_ / "data").string() +
                           "' --volumes 6 --shards 1 --size 32x64x64 --seed 5");
    ASSERT_EQ(synth.exit_code, 0) << synth.out;
    // A randomly initialised tiny model, exported as `cagcl export` would.
    const Config config = load_config("tiny");
    const auto tokenizer = data::Tokenizer::from_file(dir_ / "data" / "vocab.txt");
    model::CagclModel net(config, tokenizer.vocab_size());
    model::TensorMap tensors;
    for (const auto& p : net->named_parameters()) tensors[p.key()] = p.value().detach().clone();
    for (const auto& b : net->named_buffers()) tensors[b.key()] = b.value().detach().clone();
    model::write_safetensors((dir_ / "model.safetensors").string(), tensors);
  }

  std::string eval_args(const std::string& out, const std::string& split = "all") const {
    return " eval --checkpoint '" + (dir_ / "model.safetensors").string() + "' --config tiny --data '" +
           (dir_ / "data").string() + "' --split " + split + " --bootstrap 40 --no-plots --threads 1 --out '" +
           (dir_ / out).string() + "'";
  }

  TempDir dir_;
};

TEST_F(EvalCommandTest, TwoRanksUnderMpirunGiveTheSameReportAsOne) {
  const std::string mpirun = std::string("'") + CAGCL_MPIEXEC + "' --allow-run-as-root --oversubscribe -np ";
  const auto one = run(mpirun + "1 " + cagcl() + eval_args("np1"));
  ASSERT_EQ(one.exit_code, 0) << one.out;
  const auto two = run(mpirun + "2 " + cagcl() + eval_args("np2"));
  ASSERT_EQ(two.exit_code, 0) << two.out;
  EXPECT_NE(one.out.find("macro AUC"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("template SD"), std::string::npos);
  EXPECT_NE(one.out.find("report.html"), std::string::npos);
  EXPECT_NE(one.out.find("retrieval (image->report R@1/5/10): "), std::string::npos) << one.out;

  auto a = nlohmann::json::parse(read(dir_ / "np1" / "report.json"));
  auto b = nlohmann::json::parse(read(dir_ / "np2" / "report.json"));
  EXPECT_EQ(a["run"]["ranks"], 1);
  EXPECT_EQ(b["run"]["ranks"], 2);
  EXPECT_EQ(a["volumes"], 6);
  EXPECT_EQ(a["families"].size(), 5u);
  EXPECT_EQ(a["families"][0]["labels"].size(), 16u);
  expect_retrieval_fractions(a);
  for (auto* j : {&a, &b}) (*j)["run"].erase("ranks");
  expect_same_numbers(a, b, "report");
  EXPECT_EQ(read(dir_ / "np1" / "scores.csv"), read(dir_ / "np2" / "scores.csv"));
  EXPECT_EQ(read(dir_ / "np1" / "retrieval.csv"), read(dir_ / "np2" / "retrieval.csv"));
}

TEST_F(EvalCommandTest, BadFlagsAreUsageErrorsNamingTheFlag) {
  const auto both = run(cagcl() + " eval --run a --checkpoint b --out o");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.out.find("--run"), std::string::npos) << both.out;
  const auto protocol = run(cagcl() + eval_args("x") + " --protocol ctrate18");
  EXPECT_EQ(protocol.exit_code, 2);
  EXPECT_NE(protocol.out.find("--protocol"), std::string::npos) << protocol.out;
  const auto templates = run(cagcl() + eval_args("x") + " --templates fvlm,nonsense");
  EXPECT_EQ(templates.exit_code, 2);
  EXPECT_NE(templates.out.find("nonsense"), std::string::npos) << templates.out;
  const auto split = run(cagcl() + eval_args("x", "test"));
  EXPECT_EQ(split.exit_code, 2);
  EXPECT_NE(split.out.find("--split test"), std::string::npos) << split.out;
}

TEST_F(EvalCommandTest, Radchest14OnCtRateStyleDataMergesCalcification) {
  const auto r = run(cagcl() + eval_args("rc") + " --protocol radchest14 --templates fvlm");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(read(dir_ / "rc" / "report.json"));
  const auto& labels = j["families"][0]["labels"];
  ASSERT_EQ(labels.size(), 14u);
  EXPECT_EQ(labels[13]["name"], "Calcification");
}

TEST_F(EvalCommandTest, Radchest14OnAConvertedRadChestCtDatasetScoresItsFourteenLabels) {
  // The Rad-ChestCT path end to end: raw layout -> convert (with the masks) -> evaluate its test split.
  const std::string raw = (dir_ / "rad").string();
  const auto synth =
      run(cagcl() + " synth --format rad-chestct --out '" + raw + "' --volumes 6 --size 32x64x64 --seed 5");
  ASSERT_EQ(synth.exit_code, 0) << synth.out;
  const auto convert = run(cagcl() + " convert rad-chestct --root '" + raw + "/volumes' --masks '" + raw +
                           "/totalsegmentator' --source-spacing 10,5.625,5.625 --spacing 10,5.625,5.625 --out '" +
                           (dir_ / "rad-data").string() + "'");
  ASSERT_EQ(convert.exit_code, 0) << convert.out;
  const auto r =
      run(cagcl() + " eval --checkpoint '" + (dir_ / "model.safetensors").string() + "' --config tiny --vocab '" +
          (dir_ / "data" / "vocab.txt").string() + "' --data '" + (dir_ / "rad-data").string() +
          "' --split all --protocol radchest14 --templates fvlm --bootstrap 40 --no-plots --threads 1 --out '" +
          (dir_ / "rad-eval").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(read(dir_ / "rad-eval" / "report.json"));
  EXPECT_EQ(j["volumes"], 6);
  const auto& labels = j["families"][0]["labels"];
  ASSERT_EQ(labels.size(), 14u);
  EXPECT_EQ(labels[13]["name"], "Calcification");
}

}  // namespace
}  // namespace cagcl
