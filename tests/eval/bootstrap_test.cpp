#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "eval/bootstrap.hpp"
#include "eval/fitted_threshold.hpp"

namespace cagcl::eval {
namespace {

ScoreTable noisy_table() {
  ScoreTable table(2);
  table[0].name = "A";
  table[1].name = "B";
  for (int i = 0; i < 60; ++i) {
    const uint8_t t = (i * 7) % 3 == 0;
    table[0].truth.push_back(t);
    table[0].score.push_back(0.3 * t + 0.7 * ((i * 37) % 101) / 101.0);
    table[1].truth.push_back(i % 2);
    table[1].score.push_back(((i * 53) % 97) / 97.0);
  }
  return table;
}

TEST(Bootstrap, SameSeedGivesTheSameIntervalsAndAnotherSeedOthers) {
  const ScoreTable table = noisy_table();
  const auto a = bootstrap_intervals(table, {200, 7, 0.95});
  const auto b = bootstrap_intervals(table, {200, 7, 0.95});
  const auto c = bootstrap_intervals(table, {200, 8, 0.95});
  EXPECT_EQ(a.macro_auc.low, b.macro_auc.low);
  EXPECT_EQ(a.macro_auc.high, b.macro_auc.high);
  EXPECT_EQ(a.label_auc[0].low, b.label_auc[0].low);
  EXPECT_EQ(a.macro_f1_weighted.high, b.macro_f1_weighted.high);
  EXPECT_TRUE(a.macro_auc.low != c.macro_auc.low || a.macro_auc.high != c.macro_auc.high);
  EXPECT_EQ(a.macro_auc.resamples, 200);
}

TEST(Bootstrap, IntervalContainsThePointEstimateAndNarrowsWithConfidence) {
  const ScoreTable table = noisy_table();
  const auto wide = bootstrap_intervals(table, {300, 1, 0.95});
  const auto narrow = bootstrap_intervals(table, {300, 1, 0.5});
  const double auc = roc_auc(table[0].score, table[0].truth);
  EXPECT_LT(wide.label_auc[0].low, auc);
  EXPECT_GT(wide.label_auc[0].high, auc);
  EXPECT_LE(wide.label_auc[0].low, narrow.label_auc[0].low);
  EXPECT_GE(wide.label_auc[0].high, narrow.label_auc[0].high);
}

TEST(Bootstrap, ResamplesWithOneClassAreSkippedForThatLabelAndCounted) {
  ScoreTable table(1);
  table[0].name = "rare";
  for (int i = 0; i < 20; ++i) table[0].truth.push_back(i == 0), table[0].score.push_back(i / 20.0);
  const auto r = bootstrap_intervals(table, {500, 3, 0.95});
  EXPECT_GT(r.label_auc[0].resamples, 0);
  EXPECT_LT(r.label_auc[0].resamples, 500);  // about (19/20)^20 = 36 % of draws miss the one positive
}

TEST(Bootstrap, RejectsBadOptions) {
  EXPECT_THROW(bootstrap_intervals(noisy_table(), {0, 1, 0.95}), UsageError);
  EXPECT_THROW(bootstrap_intervals(noisy_table(), {10, 1, 1.0}), UsageError);
}

TEST(FittedThreshold, PatientFoldsKeepAPatientTogetherAndAreStable) {
  const auto f = patient_folds({"p1", "p2", "p1", "p3", "p2"}, 2);
  EXPECT_EQ(f[0], f[2]);
  EXPECT_EQ(f[1], f[4]);
  EXPECT_EQ(f, patient_folds({"p1", "p2", "p1", "p3", "p2"}, 2));
}

TEST(FittedThreshold, CrossFittingMeasuresEachFoldAtTheOtherFoldsThreshold) {
  // Fold 0 separates at any t in [0.2, 0.4), fold 1 at any t in [0.6, 0.8): each fold's threshold comes from
  // the other, so fold 0 is measured at ~0.79 (its positives 0.4 fall below: 2 misses) and fold 1 at ~0.39
  // (its negatives 0.6 rise above: 2 false alarms).
  ScoreTable table(1);
  table[0] = {"X", {0.2, 0.2, 0.4, 0.4, 0.6, 0.6, 0.8, 0.8}, {0, 0, 1, 1, 0, 0, 1, 1}};
  const std::vector<int> fold{0, 0, 0, 0, 1, 1, 1, 1};
  const auto m = cross_fitted_metrics(table, fold, 2);
  ASSERT_EQ(m.size(), 1u);
  ASSERT_TRUE(m[0].defined);
  EXPECT_DOUBLE_EQ(m[0].at.sensitivity, 0.5);
  EXPECT_DOUBLE_EQ(m[0].at.specificity, 0.5);
  EXPECT_DOUBLE_EQ(m[0].auc, roc_auc(table[0].score, table[0].truth));
  // A fold whose complement has one class makes the label undefined, not an error.
  table[0].truth = {0, 0, 0, 0, 0, 1, 0, 1};
  EXPECT_FALSE(cross_fitted_metrics(table, fold, 2)[0].defined);
}

TEST(FittedThreshold, ThresholdFromAnotherSplitIsAppliedUnchanged) {
  ScoreTable fit(1), test(1);
  fit[0] = {"X", {0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}};
  test[0] = {"X", {0.3, 0.5, 0.85}, {0, 1, 1}};
  const auto m = fitted_metrics(fit, test);
  EXPECT_DOUBLE_EQ(m[0].at.threshold, roc_distance_threshold(fit[0].score, fit[0].truth));
  EXPECT_DOUBLE_EQ(m[0].at.sensitivity, 0.5);  // 0.5 is below the fitted ~0.79
  test[0].name = "Y";
  EXPECT_THROW(fitted_metrics(fit, test), UsageError);
}

}  // namespace
}  // namespace cagcl::eval
