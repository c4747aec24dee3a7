// RUN/metrics.jsonl: the step line names its intact-instance counts by anatomy, and every line carries the
// invocation of the run it was written by (docs/training.md, "metrics.jsonl").
#include "trainer/metrics_log.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::trainer {
namespace {

RunInfo log_run_info(int64_t invocation) {
  RunInfo run;
  run.run = "demo";
  run.invocation = invocation;
  run.anatomies = {"lung", "heart", "esophagus", "aorta"};
  return run;
}

StepReport step_report(int64_t step) {
  StepReport r;
  r.step = step;
  r.total_steps = 10;
  r.loss_total = 2.5;
  r.intact_instances = {8, 6, 1, 0};
  return r;
}

TEST(MetricsLog, StepLineNamesIntactInstancesByAnatomyAndCarriesTheInvocation) {
  const auto j = to_json(step_report(3), log_run_info(2));
  EXPECT_EQ(j.at("event"), "step");
  EXPECT_EQ(j.at("step"), 3);
  EXPECT_EQ(j.at("invocation"), 2);
  EXPECT_EQ(j.at("intact_instances"), (nlohmann::json{{"lung", 8}, {"heart", 6}, {"esophagus", 1}, {"aorta", 0}}));
}

TEST(MetricsLog, StepLineRefusesCountsThatDoNotMatchTheAnatomies) {
  auto r = step_report(3);
  r.intact_instances.pop_back();
  try {
    to_json(r, log_run_info(1));
    FAIL() << "3 counts for 4 anatomies were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3 intact-instance counts for 4 anatomies"), std::string::npos) << e.what();
  }
}

TEST(MetricsLog, EveryLineCarriesTheInvocation) {
  test_support::TempDir dir;
  const auto path = dir / "metrics.jsonl";
  {
    MetricsLog log(path);
    log.on_start(log_run_info(4));
    log.on_step(step_report(1));
    log.on_validation(ValidationReport{1, 3.0, 2.0, 1.0});
    log.on_checkpoint(CheckpointReport{1, true, 0.5, 100, 1.7e9});
    log.on_finish();
  }
  std::ifstream in(path);
  std::vector<std::string> events;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    events.push_back(j.at("event"));
    EXPECT_EQ(j.at("invocation"), 4) << line;
  }
  EXPECT_EQ(events, (std::vector<std::string>{"start", "step", "validation", "checkpoint", "finish"}));
}

// Every line carries the run's restart count too (docs/metrics-log.md), so a reader can tell a step repeated
// after a resume from its first occurrence without the start line.
TEST(MetricsLog, EveryLineCarriesTheRestartCount) {
  test_support::TempDir dir;
  const auto path = dir / "metrics.jsonl";
  {
    auto run = log_run_info(3);
    run.restarts = 2;
    MetricsLog log(path);
    log.on_start(run);
    log.on_step(step_report(1));
    log.on_validation(ValidationReport{1, 3.0, 2.0, 1.0});
    log.on_checkpoint(CheckpointReport{1, true, 0.5, 100, 1.7e9});
    log.on_finish();
  }
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    ASSERT_TRUE(j.contains("restarts")) << line;
    EXPECT_EQ(j.at("restarts"), 2) << line;
  }
  EXPECT_EQ(lines, 5);
}

// Live zero-shot figures ride on the validation line, by family; undefined figures are null (JSON has no NaN);
// with scoring off the line has no "zero_shot" at all.
TEST(MetricsLog, ValidationLineCarriesTheZeroShotFiguresWhenScored) {
  ValidationReport off{3, 3.0, 2.0, 1.0};
  EXPECT_FALSE(to_json(off, log_run_info(1)).contains("zero_shot"));
  ValidationReport on = off;
  ZeroShotFigures z;
  z.families = {"fvlm", "ctclip"};
  z.macro_auc = {0.7, 0.6};
  z.macro_auc_mean = 0.65, z.template_sd = 0.05, z.collapse_index = 0.3;
  z.recall_at_1 = std::nan(""), z.recall_at_5 = 0.5, z.recall_at_10 = 1.0;
  on.zero_shot = z;
  const auto j = to_json(on, log_run_info(1)).at("zero_shot");
  EXPECT_EQ(j.at("macro_auc"), (nlohmann::json{{"fvlm", 0.7}, {"ctclip", 0.6}}));
  EXPECT_EQ(j.at("macro_auc_mean"), 0.65);
  EXPECT_EQ(j.at("template_sd"), 0.05);
  EXPECT_EQ(j.at("collapse_index"), 0.3);
  EXPECT_TRUE(j.at("recall_at_1").is_null());
  EXPECT_EQ(j.at("recall_at_5"), 0.5);
  EXPECT_EQ(j.at("recall_at_10"), 1.0);
}

TEST(MetricsLog, StartLineListsTheAnatomies) {
  test_support::TempDir dir;
  const auto path = dir / "metrics.jsonl";
  MetricsLog(path).on_start(log_run_info(1));
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(nlohmann::json::parse(line).at("anatomies"), (nlohmann::json{"lung", "heart", "esophagus", "aorta"}));
}

}  // namespace
}  // namespace cagcl::trainer
