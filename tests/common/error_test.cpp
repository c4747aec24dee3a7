#include "common/error.hpp"

#include <gtest/gtest.h>

namespace cagcl {

TEST(Error, SubclassesCarryTheirExitCode) {
  EXPECT_EQ(UsageError("x").code(), ExitCode::usage);
  EXPECT_EQ(DataError("x").code(), ExitCode::data);
  EXPECT_EQ(IoError("x").code(), ExitCode::io);
  EXPECT_EQ(Error("x").code(), ExitCode::failure);
}

}  // namespace cagcl
