// metrics.jsonl lines are read tolerantly (a torn last line is skipped), but a line nesting deeper than any
// metrics line does is skipped too rather than parsed into a value that would recurse.
#include <gtest/gtest.h>

#include <fstream>

#include "eval/trained_instances.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::eval {
namespace trained_instances_nesting_test {
namespace {

TEST(TrainedInstancesNesting, DeeplyNestedLineIsSkipped) {
  test_support::TempDir dir;
  const auto path = dir.path() / "metrics.jsonl";
  std::ofstream(path) << R"({"event":"step","step":1,"intact_instances":{"lung":8}})"
                         "\n"
                      << R"({"event":"step","step":2,"intact_instances":{"lung":5},"x":)" << std::string(1000, '[')
                      << std::string(1000, ']') << "}\n";
  EXPECT_EQ(trained_instances(path).at("lung"), 8);
}

}  // namespace
}  // namespace trained_instances_nesting_test
}  // namespace cagcl::eval
