#include "trainer/anatomy_coverage.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cagcl::trainer {
namespace {

using Names = std::vector<std::string>;

RunInfo coverage_run_info() {
  RunInfo run;
  run.anatomies = {"lung", "heart", "esophagus", "aorta"};
  return run;
}

StepReport step(int64_t n, std::vector<int64_t> intact) {
  StepReport r;
  r.step = n;
  r.intact_instances = std::move(intact);
  return r;
}

TEST(AnatomyCoverageCheck, WarnsAfterTheWindowAboutAnatomiesNeverIntact) {
  AnatomyCoverageCheck check(20);
  check.on_start(coverage_run_info());
  for (int64_t i = 1; i < 20; ++i) check.on_step(step(i, {4, 4, i == 7 ? 1 : 0, 0}));
  EXPECT_TRUE(check.warned().empty()) << "checked before the window ended";
  check.on_step(step(20, {4, 4, 0, 0}));
  EXPECT_EQ(check.warned(), (Names{"aorta"}));
  check.on_step(step(21, {4, 4, 0, 0}));
  check.on_finish();
  EXPECT_EQ(check.warned(), (Names{"aorta"})) << "warned more than once";
}

TEST(AnatomyCoverageCheck, AnInvocationShorterThanTheWindowIsCheckedAtItsEnd) {
  AnatomyCoverageCheck check(20);
  check.on_start(coverage_run_info());
  for (int64_t i = 1; i <= 3; ++i) check.on_step(step(i, {2, 0, 0, 1}));
  check.on_finish();
  EXPECT_EQ(check.warned(), (Names{"heart", "esophagus"}));
}

TEST(AnatomyCoverageCheck, NoWarningWhenEveryAnatomyTrainsOrNoStepRan) {
  AnatomyCoverageCheck all(2);
  all.on_start(coverage_run_info());
  all.on_step(step(1, {1, 1, 1, 1}));
  all.on_step(step(2, {1, 1, 1, 1}));
  EXPECT_TRUE(all.warned().empty());
  AnatomyCoverageCheck none(2);
  none.on_start(coverage_run_info());
  none.on_finish();  // a run that was already complete: no step, nothing to say
  EXPECT_TRUE(none.warned().empty());
}

}  // namespace
}  // namespace cagcl::trainer
