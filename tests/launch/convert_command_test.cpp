// `cagcl synth --format ct-rate` then `cagcl convert ct-rate`, as a user types them: exit codes, --limit,
// --skip-bad and its summary, a rerun, and a run under mpirun with 2 ranks.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset.hpp"

#include "tests/common/shell_command.hpp"

namespace cagcl {
namespace {

using Outcome = test_support::CommandResult;

// Arguments are built by the tests only (paths under the temp directory), never from user input; stdout + stderr.
Outcome run_convert_shell(const std::string& command) { return test_support::run_shell(command + " 2>&1"); }

std::string quoted_cagcl() { return std::string("'") + CAGCL_BINARY + "'"; }

class ConvertCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cagcl_convert_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    const Outcome synth = run_convert_shell(quoted_cagcl() + " synth --format ct-rate --out '" + raw() +
                                            "' --volumes 5 --size 32x48x48 " + "--valid-fraction 0.34 --seed 3");
    ASSERT_EQ(synth.exit_code, 0) << synth.out;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string raw() const { return (dir_ / "raw").string(); }
  std::string convert_args(const std::string& out, const std::string& spacing = "10,7.5,7.5") const {
    return " convert ct-rate --root '" + raw() + "/dataset' --masks '" + raw() + "/totalsegmentator' --out '" +
           (dir_ / out).string() + "' --spacing " + spacing + " --volumes-per-shard 2 --compression deflate+shuffle";
  }
  std::filesystem::path dir_;
};

TEST_F(ConvertCommand, ConvertsTheSynthesisedCtRateLayoutAndRerunsAsANoOp) {
  const Outcome r = run_convert_shell(quoted_cagcl() + convert_args("out"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("5 of 5 volume(s) converted into 3 shard(s)"), std::string::npos) << r.out;
  EXPECT_EQ(data::Dataset::open(dir_ / "out").size(), 5);
  const Outcome again = run_convert_shell(quoted_cagcl() + convert_args("out"));
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("already complete"), std::string::npos) << again.out;
  const Outcome inspect = run_convert_shell(quoted_cagcl() + " inspect '" + (dir_ / "out").string() + "' --json");
  ASSERT_EQ(inspect.exit_code, 0) << inspect.out;
}

TEST_F(ConvertCommand, LimitConvertsTheFirstVolumes) {
  const Outcome r = run_convert_shell(quoted_cagcl() + convert_args("out") + " --limit 2 --anatomy-sentences '" +
                                      raw() + "/anatomy_sentences.json'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(data::Dataset::open(dir_ / "out").size(), 2);
}

TEST_F(ConvertCommand, BadVolumeStopsTheRunUnlessSkipBadThenTheSummaryListsIt) {
  std::string victim;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "raw" / "totalsegmentator")) {
    if (e.is_regular_file()) victim = e.path().filename().string();
  }
  ASSERT_FALSE(victim.empty());
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "raw" / "totalsegmentator")) {
    if (e.path().filename() == victim) {
      std::filesystem::remove(e.path());
      break;
    }
  }
  const std::string name = victim.substr(0, victim.size() - 7);
  const Outcome fail = run_convert_shell(quoted_cagcl() + convert_args("out"));
  EXPECT_EQ(fail.exit_code, 3) << fail.out;
  EXPECT_NE(fail.out.find("volume '" + name + "'"), std::string::npos) << fail.out;
  EXPECT_NE(fail.out.find("no mask"), std::string::npos) << fail.out;
  const Outcome skip = run_convert_shell(quoted_cagcl() + convert_args("out2") + " --skip-bad");
  ASSERT_EQ(skip.exit_code, 0) << skip.out;
  EXPECT_NE(skip.out.find("4 of 5 volume(s) converted"), std::string::npos) << skip.out;
  EXPECT_NE(skip.out.find("skipped '" + name + "'"), std::string::npos) << skip.out;
  EXPECT_EQ(data::Dataset::open(dir_ / "out2").size(), 4);
}

TEST_F(ConvertCommand, BadFlagsNameTheFlag) {
  const Outcome r = run_convert_shell(quoted_cagcl() + convert_args("out", "0,1,1"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--spacing"), std::string::npos) << r.out;
  const Outcome g = run_convert_shell(quoted_cagcl() + convert_args("out") + " --geometry magic");
  EXPECT_EQ(g.exit_code, 2);
  EXPECT_NE(g.out.find("--geometry"), std::string::npos) << g.out;
}

TEST_F(ConvertCommand, TwoRanksUnderMpirunGiveTheSameSamplesAsOne) {
  if (run_convert_shell("command -v mpirun").exit_code != 0) GTEST_SKIP() << "mpirun not found";
  const Outcome one = run_convert_shell(quoted_cagcl() + convert_args("one"));
  ASSERT_EQ(one.exit_code, 0) << one.out;
  const Outcome two =
      run_convert_shell("mpirun --allow-run-as-root --oversubscribe -np 2 " + quoted_cagcl() + convert_args("two"));
  ASSERT_EQ(two.exit_code, 0) << two.out;
  const auto a = data::Dataset::open(dir_ / "one");
  const auto b = data::Dataset::open(dir_ / "two");
  ASSERT_EQ(a.size(), b.size());
  for (int64_t i = 0; i < a.size(); ++i) {
    const auto x = a.read(i), y = b.read(i);
    EXPECT_EQ(x.name, y.name);
    EXPECT_TRUE(x.volume == y.volume);
    EXPECT_TRUE(x.anatomy == y.anatomy);
  }
  // Same inputs and options: the shard files are byte-identical whichever rank wrote them.
  for (size_t k = 0; k < a.manifest().shards.size(); ++k)
    EXPECT_EQ(a.manifest().shards[k].sha256, b.manifest().shards[k].sha256);
}

// `cagcl synth --format rad-chestct`, then `cagcl convert rad-chestct --export-nifti` (the files TotalSegmentator
// would segment) and the conversion itself, as a user types them under mpirun.
class ConvertRadChestCtCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cagcl_convert_rad_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    const Outcome synth = run_convert_shell(quoted_cagcl() + " synth --format rad-chestct --out '" + raw() +
                                            "' --volumes 5 --size 32x48x48 " + "--valid-fraction 0.5 --seed 3");
    ASSERT_EQ(synth.exit_code, 0) << synth.out;
    // synth says which --source-spacing its volumes need.
    const std::string hint = "convert them with --source-spacing ";
    const size_t at = synth.out.find(hint);
    ASSERT_NE(at, std::string::npos) << synth.out;
    source_spacing_ =
        synth.out.substr(at + hint.size(), synth.out.find_first_of(" \n", at + hint.size()) - at - hint.size());
    EXPECT_EQ(source_spacing_, "10,7.5,7.5");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string raw() const { return (dir_ / "raw").string(); }
  std::string convert_args() const {
    return " convert rad-chestct --root '" + raw() + "/volumes' --source-spacing " + source_spacing_ + " --spacing " +
           source_spacing_ + " --volumes-per-shard 2 --compression deflate+shuffle";
  }
  std::filesystem::path dir_;
  std::string source_spacing_;
};

TEST_F(ConvertRadChestCtCommand, ExportsNiftiOnTwoRanksThenConvertsWithMasksIntoAnEvaluationOnlyDataset) {
  if (run_convert_shell("command -v mpirun").exit_code != 0) GTEST_SKIP() << "mpirun not found";
  const std::string mpirun = "mpirun --allow-run-as-root --oversubscribe -np 2 ";
  const Outcome exported = run_convert_shell(mpirun + quoted_cagcl() + convert_args() + " --export-nifti '" +
                                             (dir_ / "nifti").string() + "'");
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "nifti")) files += e.path().extension() == ".gz";
  EXPECT_EQ(files, 5);
  const Outcome again =
      run_convert_shell(quoted_cagcl() + convert_args() + " --export-nifti '" + (dir_ / "nifti").string() + "'");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("wrote 0 volume(s)"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("kept 5 already there"), std::string::npos) << again.out;

  const Outcome converted = run_convert_shell(mpirun + quoted_cagcl() + convert_args() + " --masks '" + raw() +
                                              "/totalsegmentator' --out '" + (dir_ / "out").string() + "'");
  ASSERT_EQ(converted.exit_code, 0) << converted.out;
  EXPECT_NE(converted.out.find("5 of 5 volume(s) converted into 3 shard(s)"), std::string::npos) << converted.out;
  const auto ds = data::Dataset::open(dir_ / "out");
  EXPECT_EQ(ds.size(), 5);
  EXPECT_FALSE(ds.manifest().has_reports);
  EXPECT_EQ(ds.manifest().labels.size(), 14u);

  // Training on it is refused with the reason; evaluation is what it is for (tests/eval/eval_command_test.cpp).
  const Outcome train = run_convert_shell(quoted_cagcl() + " train --config tiny --data '" + (dir_ / "out").string() +
                                          "' --out '" + (dir_ / "run").string() + "' --steps 1");
  EXPECT_NE(train.exit_code, 0);
  EXPECT_NE(train.out.find("no report text"), std::string::npos) << train.out;
}

TEST_F(ConvertRadChestCtCommand, ExportNiftiStopsAtABadVolumeNamingItAndSkipsItOnlyWithSkipBad) {
  const auto bad = dir_ / "raw/volumes" / "trn00002.npz";
  ASSERT_TRUE(std::filesystem::exists(bad));
  std::filesystem::resize_file(bad, std::filesystem::file_size(bad) / 2);
  const std::string nifti = " --export-nifti '" + (dir_ / "nifti").string() + "'";
  const Outcome stopped = run_convert_shell(quoted_cagcl() + convert_args() + nifti);
  EXPECT_EQ(stopped.exit_code, 3) << stopped.out;  // a data error
  EXPECT_NE(stopped.out.find("volume 'trn00002'"), std::string::npos) << stopped.out;
  EXPECT_NE(stopped.out.find("--skip-bad"), std::string::npos) << stopped.out;

  const Outcome skipped = run_convert_shell(quoted_cagcl() + convert_args() + nifti + " --skip-bad");
  ASSERT_EQ(skipped.exit_code, 0) << skipped.out;
  EXPECT_NE(skipped.out.find("skipped 1"), std::string::npos) << skipped.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "nifti/trn00002.nii.gz"));
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "nifti")) files += e.path().extension() == ".gz";
  EXPECT_EQ(files, 4);  // the other volumes
}

TEST_F(ConvertRadChestCtCommand, MissingFlagsAndBadSpacingNameTheFlag) {
  const Outcome no_masks =
      run_convert_shell(quoted_cagcl() + convert_args() + " --out '" + (dir_ / "out").string() + "'");
  EXPECT_EQ(no_masks.exit_code, 2);
  EXPECT_NE(no_masks.out.find("--masks"), std::string::npos) << no_masks.out;
  const Outcome both = run_convert_shell(quoted_cagcl() + convert_args() + " --export-nifti '" + (dir_ / "n").string() +
                                         "' --out '" + (dir_ / "out").string() + "'");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.out.find("--export-nifti"), std::string::npos) << both.out;
  const Outcome spacing = run_convert_shell(quoted_cagcl() + convert_args() +
                                            " --source-spacing 0,1,1 --export-nifti '" + (dir_ / "n").string() + "'");
  EXPECT_EQ(spacing.exit_code, 2);
  EXPECT_NE(spacing.out.find("--source-spacing"), std::string::npos) << spacing.out;
  const Outcome limit =
      run_convert_shell(quoted_cagcl() + convert_args() + " --limit -1 --export-nifti '" + (dir_ / "n").string() + "'");
  EXPECT_EQ(limit.exit_code, 2);
  EXPECT_NE(limit.out.find("--limit"), std::string::npos) << limit.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "n")) << "nothing is written for a bad flag";
}

}  // namespace
}  // namespace cagcl
