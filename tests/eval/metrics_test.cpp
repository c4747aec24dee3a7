#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "eval/metrics.hpp"

namespace cagcl::eval {
namespace {

TEST(RocAuc, PerfectRankingIsOneAndInvertedIsZero) {
  EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
}

TEST(RocAuc, TiedScoresCountHalfAsSklearnDoes) {
  // Pairs (pos, neg): (0.5, 0.5) x2 tied -> 1, (0.9, 0.5) x2 -> 2; 3 of 4 pairs. sklearn: 0.75.
  EXPECT_DOUBLE_EQ(roc_auc({0.5, 0.5, 0.5, 0.9}, {0, 1, 0, 1}), 0.75);
  // All scores equal: every pair tied.
  EXPECT_DOUBLE_EQ(roc_auc({0.3, 0.3, 0.3}, {1, 0, 0}), 0.5);
  // Hand-computed: pos {0.3, 0.7}, neg {0.2, 0.35, 0.7}: 0.3 beats 0.2 (1); 0.7 beats 0.2, 0.35 (2), ties 0.7 (0.5).
  EXPECT_DOUBLE_EQ(roc_auc({0.2, 0.3, 0.7, 0.35, 0.7}, {0, 1, 1, 0, 0}), 3.5 / 6.0);
}

TEST(RocAuc, SingleClassIsUndefinedNotAnError) {
  EXPECT_TRUE(std::isnan(roc_auc({0.1, 0.9}, {0, 0})));
  EXPECT_TRUE(std::isnan(roc_auc({0.1, 0.9}, {1, 1})));
  EXPECT_TRUE(std::isnan(roc_auc({}, {})));
  EXPECT_THROW(roc_auc({0.1}, {0, 1}), UsageError);
}

TEST(RocCurve, RunsFromOriginToOneOneThroughTiedScoresAtOnce) {
  const auto curve = roc_curve({0.5, 0.5, 0.5, 0.9}, {0, 1, 0, 1});
  ASSERT_EQ(curve.size(), 3u);
  EXPECT_DOUBLE_EQ(curve[0].fpr, 0);
  EXPECT_DOUBLE_EQ(curve[1].tpr, 0.5);  // 0.9 first
  EXPECT_DOUBLE_EQ(curve[1].fpr, 0);
  EXPECT_DOUBLE_EQ(curve[2].tpr, 1);
  EXPECT_DOUBLE_EQ(curve[2].fpr, 1);
  EXPECT_TRUE(roc_curve({0.1, 0.2}, {1, 1}).empty());
}

TEST(ThresholdGrid, IsNumpyLinspaceZeroToOneWithHundredPoints) {
  const auto& g = threshold_grid();
  ASSERT_EQ(g.size(), 100u);
  EXPECT_EQ(g.front(), 0.0);
  EXPECT_EQ(g.back(), 1.0);
  EXPECT_NEAR(g[1], 1.0 / 99.0, 1e-15);
}

TEST(RocDistanceThreshold, PerfectSeparationTakesTheLargestGridPointBelowThePositives) {
  // Every t in [0.4, 0.6) separates perfectly (distance 0); ties go to the larger t: 59/99 = 0.596.
  EXPECT_DOUBLE_EQ(roc_distance_threshold({0.1, 0.4, 0.6, 0.9}, {0, 0, 1, 1}), threshold_grid()[59]);
}

TEST(RocDistanceThreshold, EqualDistancesGoToTheLargerThreshold) {
  // pos {0.3, 0.7}, neg {0.2, 0.35}: distance 0.5 on [0.2, 0.3) (TPR 1, FPR 0.5) and on [0.35, 0.7)
  // (TPR 0.5, FPR 0); the larger wins: the last grid point below 0.7 is 69/99.
  const std::vector<double> score{0.2, 0.3, 0.7, 0.35};
  const std::vector<uint8_t> truth{0, 1, 1, 0};
  EXPECT_DOUBLE_EQ(roc_distance_threshold(score, truth), threshold_grid()[69]);
  // Prediction is score > t, strictly: a score equal to a grid point is below that threshold.
  const Confusion c = confusion_at({threshold_grid()[10]}, {1}, threshold_grid()[10]);
  EXPECT_EQ(c.fn, 1);
  EXPECT_TRUE(std::isnan(roc_distance_threshold({0.1, 0.2}, {0, 0})));
}

TEST(LabelMetrics, FiguresAtTheThresholdMatchAHandComputedConfusionMatrix) {
  const LabelMetrics m = evaluate_label("X", {0.2, 0.3, 0.7, 0.35}, {0, 1, 1, 0});
  ASSERT_TRUE(m.defined);
  EXPECT_EQ(m.count, 4);
  EXPECT_EQ(m.positives, 2);
  EXPECT_DOUBLE_EQ(m.auc, 0.75);
  // At t = 69/99: predictions 0 0 1 0 -> TP 1, FN 1, TN 2, FP 0.
  EXPECT_DOUBLE_EQ(m.at.accuracy, 0.75);
  EXPECT_DOUBLE_EQ(m.at.sensitivity, 0.5);
  EXPECT_DOUBLE_EQ(m.at.specificity, 1.0);
  EXPECT_DOUBLE_EQ(m.at.precision, 1.0);
  // F1(pos) = 2/3, F1(neg) = 4/5, supports 2 and 2.
  EXPECT_NEAR(m.at.f1_weighted, (2.0 / 3.0 * 2 + 0.8 * 2) / 4, 1e-15);
}

TEST(LabelMetrics, NothingPredictedPositiveGivesPrecisionZeroLikeSklearn) {
  const ThresholdMetrics m = metrics_from_confusion({0, 0, 3, 1}, 0.5);
  EXPECT_EQ(m.precision, 0.0);
  EXPECT_EQ(m.sensitivity, 0.0);
  EXPECT_EQ(m.specificity, 1.0);
  // F1(pos) undefined -> 0, F1(neg) = 6/7, supports 1 and 3.
  EXPECT_NEAR(m.f1_weighted, (6.0 / 7.0) * 3 / 4, 1e-15);
}

TEST(LabelMetrics, SingleClassLabelIsUndefinedAndLeftOutOfTheMacroAverageWithACount) {
  const LabelMetrics none = evaluate_label("no positives", {0.1, 0.5, 0.9}, {0, 0, 0});
  EXPECT_FALSE(none.defined);
  EXPECT_TRUE(std::isnan(none.auc));
  EXPECT_TRUE(std::isnan(none.at.accuracy));
  const LabelMetrics perfect = evaluate_label("perfect", {0.1, 0.9}, {0, 1});
  const LabelMetrics inverted = evaluate_label("inverted", {0.9, 0.1}, {0, 1});
  const MacroMetrics macro = macro_average({none, perfect, inverted});
  EXPECT_EQ(macro.labels, 3);
  EXPECT_EQ(macro.undefined, 1);
  EXPECT_DOUBLE_EQ(macro.auc, 0.5);
  const MacroMetrics empty = macro_average({none});
  EXPECT_TRUE(std::isnan(empty.auc));
}

TEST(Quantile, InterpolatesLinearlyLikeNumpyAndIgnoresNaN) {
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(quantile({1, std::nan(""), 3}, 1.0), 3);
  EXPECT_TRUE(std::isnan(quantile({}, 0.5)));
  EXPECT_NEAR(population_sd({0.6, 0.8}), 0.1, 1e-15);
  EXPECT_TRUE(std::isnan(mean_of({})));
}

}  // namespace
}  // namespace cagcl::eval
