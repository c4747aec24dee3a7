#include "trainer/invocation_counter.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::trainer {
namespace {

std::string content(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(InvocationCounter, StartsAtOneAndCountsUpDurably) {
  test_support::TempDir run;
  EXPECT_EQ(next_invocation(run.path()), 1);
  EXPECT_EQ(content(run / kInvocationFileName), "1\n");
  EXPECT_EQ(next_invocation(run.path()), 2);
  EXPECT_EQ(next_invocation(run.path()), 3);
  EXPECT_EQ(content(run / kInvocationFileName), "3\n");
}

TEST(InvocationCounter, DamagedCounterIsADataErrorNamingTheFile) {
  test_support::TempDir run;
  for (const char* bad : {"", "zero\n", "0\n", "-2\n", "3 4\n"}) {
    std::ofstream(run / kInvocationFileName) << bad;
    try {
      next_invocation(run.path());
      FAIL() << "accepted '" << bad << "'";
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find((run / kInvocationFileName).string()), std::string::npos) << e.what();
    }
    EXPECT_EQ(content(run / kInvocationFileName), bad) << "a refused counter is left as it was";
  }
}

}  // namespace
}  // namespace cagcl::trainer
