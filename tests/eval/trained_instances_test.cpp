#include "eval/trained_instances.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/common/temp_dir.hpp"

namespace cagcl::eval {
namespace {

TEST(TrainedInstances, SumsEachStepOnceFromItsLatestInvocationAndSkipsTornLines) {
  test_support::TempDir dir;
  const auto path = dir.path() / "metrics.jsonl";
  std::ofstream(path) << R"({"event":"start","invocation":1})"
                         "\n"
                      << R"({"event":"step","step":1,"invocation":1,"intact_instances":{"lung":8,"aorta":0}})"
                         "\n"
                      << R"({"event":"step","step":2,"invocation":1,"intact_instances":{"lung":7,"aorta":1}})"
                         "\n"
                      << R"({"event":"validation","step":2,"invocation":1})"
                         "\n"
                      // resumed from step 1: step 2 is repeated and replaces the first invocation's line
                      << R"({"event":"step","step":2,"invocation":2,"intact_instances":{"lung":6,"aorta":2}})"
                         "\n"
                      << R"({"event":"step","step":3,"invocation":2,"intact_instances":{"lung":8,"aor)";
  const auto counts = trained_instances(path);
  EXPECT_EQ(counts.at("lung"), 8 + 6);
  EXPECT_EQ(counts.at("aorta"), 0 + 2);
  EXPECT_EQ(trained_instances(path, 1).at("lung"), 8) << "a checkpoint of step 1 saw step 1 only";
}

TEST(TrainedInstances, MissingFileOrFieldGivesNothing) {
  test_support::TempDir dir;
  EXPECT_TRUE(trained_instances(dir.path() / "none.jsonl").empty());
  std::ofstream(dir.path() / "old.jsonl") << R"({"event":"step","step":1,"loss":2.0})"
                                             "\n";
  EXPECT_TRUE(trained_instances(dir.path() / "old.jsonl").empty());
}

}  // namespace
}  // namespace cagcl::eval
