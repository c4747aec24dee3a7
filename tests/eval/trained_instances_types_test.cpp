// metrics.jsonl lines whose fields have unexpected types are skipped like any line that is not a step line,
// instead of ending `cagcl eval` with nlohmann's type_error.
#include <gtest/gtest.h>

#include <fstream>

#include "eval/trained_instances.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::eval {
namespace trained_instances_types_test {
namespace {

TEST(TrainedInstancesTypes, FieldsOfTheWrongTypeSkipTheLine) {
  test_support::TempDir dir;
  const auto path = dir.path() / "metrics.jsonl";
  std::ofstream(path) << R"({"event":"step","step":1,"intact_instances":{"lung":8}})"
                         "\n"
                      << R"({"event":5,"step":2,"intact_instances":{"lung":1}})"
                         "\n"
                      << R"({"event":["step"],"step":3,"intact_instances":{"lung":1}})"
                         "\n"
                      << R"(["event","step"])"
                         "\n";
  const auto counts = trained_instances(path);
  EXPECT_EQ(counts.at("lung"), 8);
}

}  // namespace
}  // namespace trained_instances_types_test
}  // namespace cagcl::eval
