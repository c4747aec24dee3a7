#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "trainer/lr_schedule.hpp"

namespace cagcl::trainer {
namespace {

LrSchedule make(double lr, double warmup_lr, double min_lr, int64_t warmup, int64_t total) {
  return LrSchedule({lr, warmup_lr, min_lr, warmup, total});
}

TEST(LrSchedule, WarmupIsLinearFromWarmupLrToPeak) {
  const auto s = make(1e-3, 1e-5, 1e-6, 10, 110);
  EXPECT_DOUBLE_EQ(s.at(0), 1e-5);
  EXPECT_DOUBLE_EQ(s.at(5), 1e-5 + (1e-3 - 1e-5) * 0.5);
  EXPECT_DOUBLE_EQ(s.at(9), 1e-5 + (1e-3 - 1e-5) * 0.9);
  EXPECT_DOUBLE_EQ(s.at(10), 1e-3);  // peak at the first step after the warm-up
}

TEST(LrSchedule, CosineDecaysToMinLrAtTheLastStep) {
  const auto s = make(1e-3, 0, 1e-5, 10, 111);  // 100 decay intervals: steps 10..110
  EXPECT_DOUBLE_EQ(s.at(10), 1e-3);
  EXPECT_NEAR(s.at(60), 1e-5 + 0.5 * (1e-3 - 1e-5), 1e-15);  // half-way: cos(pi/2) = 0
  EXPECT_NEAR(s.at(35), 1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + std::cos(M_PI * 0.25)), 1e-15);
  EXPECT_DOUBLE_EQ(s.at(110), 1e-5);
  EXPECT_DOUBLE_EQ(s.at(500), 1e-5);  // past the end (a run extended without a new schedule) stays at min_lr
}

TEST(LrSchedule, IsMonotoneAfterTheWarmup) {
  const auto s = make(3e-4, 1e-6, 1e-6, 5, 50);
  for (int64_t step = 0; step < 5; ++step) EXPECT_LT(s.at(step), s.at(step + 1));
  for (int64_t step = 5; step < 49; ++step) EXPECT_GT(s.at(step), s.at(step + 1));
}

TEST(LrSchedule, WithoutWarmupStartsAtThePeak) {
  const auto s = make(2e-4, 1e-6, 0, 0, 11);
  EXPECT_DOUBLE_EQ(s.at(0), 2e-4);
  EXPECT_DOUBLE_EQ(s.at(10), 0);
}

TEST(LrSchedule, RejectsAnEmptySchedule) { EXPECT_THROW(make(1e-3, 0, 0, 0, 0), UsageError); }

}  // namespace
}  // namespace cagcl::trainer
