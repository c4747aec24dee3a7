// RUN/metrics.jsonl: the step line names its intact-instance counts by anatomy, and every line carries the
// invocation of the run it was written by (docs/training.md, "metrics.jsonl").
#include "trainer/metrics_log.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::trainer {
namespace {

RunInfo run_info(int64_t invocation) {
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
  const auto j = to_json(step_report(3), run_info(2));
  EXPECT_EQ(j.at("event"), "step");
  EXPECT_EQ(j.at("step"), 3);
  EXPECT_EQ(j.at("invocation"), 2);
  EXPECT_EQ(j.at("intact_instances"), (nlohmann::json{{"lung", 8}, {"heart", 6}, {"esophagus", 1}, {"aorta", 0}}));
}

TEST(MetricsLog, StepLineRefusesCountsThatDoNotMatchTheAnatomies) {
  auto r = step_report(3);
  r.intact_instances.pop_back();
  try {
    to_json(r, run_info(1));
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
    log.on_start(run_info(4));
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

TEST(MetricsLog, StartLineListsTheAnatomies) {
  test_support::TempDir dir;
  const auto path = dir / "metrics.jsonl";
  MetricsLog(path).on_start(run_info(1));
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(nlohmann::json::parse(line).at("anatomies"),
            (nlohmann::json{"lung", "heart", "esophagus", "aorta"}));
}

}  // namespace
}  // namespace cagcl::trainer
