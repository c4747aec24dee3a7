#include "common/progress.hpp"

#include <gtest/gtest.h>

namespace cagcl {

TEST(Progress, FormatsDurationsCompactly) {
  EXPECT_EQ(format_duration(12.4), "12s");
  EXPECT_EQ(format_duration(187), "3m07s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-1), "?");
}

TEST(Progress, CountsFinishedItems) {
  ProgressMeter meter("test", 10, 1000.0);
  meter.advance(3);
  meter.advance();
  EXPECT_EQ(meter.done(), 4);
}

}  // namespace cagcl
