#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/error.hpp"

namespace cagcl::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_sizes(const std::vector<double>& score, const std::vector<uint8_t>& truth, const char* what) {
  if (score.size() != truth.size())
    throw UsageError(std::string(what) + ": " + std::to_string(score.size()) + " scores but " +
                     std::to_string(truth.size()) + " labels");
}

std::pair<int64_t, int64_t> class_counts(const std::vector<uint8_t>& truth) {
  int64_t pos = 0;
  for (uint8_t t : truth) pos += t ? 1 : 0;
  return {pos, static_cast<int64_t>(truth.size()) - pos};
}

double safe_ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

ThresholdMetrics undefined_metrics() {
  ThresholdMetrics m;
  m.threshold = m.accuracy = m.sensitivity = m.specificity = m.precision = m.f1_weighted = kNaN;
  return m;
}

}  // namespace

double roc_auc(const std::vector<double>& score, const std::vector<uint8_t>& truth) {
  check_sizes(score, truth, "roc_auc");
  const auto [pos, neg] = class_counts(truth);
  if (pos == 0 || neg == 0) return kNaN;
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  // Mid-ranks: a run of tied scores shares the mean of its ranks, which counts a tied (pos, neg) pair as 1/2.
  double positive_rank_sum = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && score[order[j]] == score[order[i]]) ++j;
    const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k) positive_rank_sum += truth[order[k]] ? mid_rank : 0.0;
    i = j;
  }
  const double p = static_cast<double>(pos), n = static_cast<double>(neg);
  return (positive_rank_sum - p * (p + 1) / 2.0) / (p * n);
}

std::vector<RocPoint> roc_curve(const std::vector<double>& score, const std::vector<uint8_t>& truth) {
  check_sizes(score, truth, "roc_curve");
  const auto [pos, neg] = class_counts(truth);
  if (pos == 0 || neg == 0) return {};
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  std::vector<RocPoint> curve{{0.0, 0.0, std::numeric_limits<double>::infinity()}};
  int64_t tp = 0, fp = 0;
  for (size_t i = 0; i < order.size();) {
    const double s = score[order[i]];
    while (i < order.size() && score[order[i]] == s) (truth[order[i++]] ? tp : fp) += 1;
    curve.push_back({static_cast<double>(fp) / neg, static_cast<double>(tp) / pos, s});
  }
  return curve;
}

const std::vector<double>& threshold_grid() {
  static const std::vector<double> grid = [] {
    std::vector<double> g(100);
    const double step = 1.0 / 99.0;
    for (size_t i = 0; i < g.size(); ++i) g[i] = static_cast<double>(i) * step;
    g.back() = 1.0;
    return g;
  }();
  return grid;
}

Confusion confusion_at(const std::vector<double>& score, const std::vector<uint8_t>& truth, double threshold) {
  check_sizes(score, truth, "confusion_at");
  Confusion c;
  for (size_t i = 0; i < score.size(); ++i) {
    const bool predicted = score[i] > threshold;
    if (truth[i])
      (predicted ? c.tp : c.fn) += 1;
    else
      (predicted ? c.fp : c.tn) += 1;
  }
  return c;
}

double roc_distance_threshold(const std::vector<double>& score, const std::vector<uint8_t>& truth) {
  check_sizes(score, truth, "roc_distance_threshold");
  const auto [pos, neg] = class_counts(truth);
  if (pos == 0 || neg == 0) return kNaN;
  // Sorted scores per class: the counts above each of the 100 thresholds by binary search, so bootstrap
  // resamples of large splits stay cheap.
  std::vector<double> positive, negative;
  for (size_t i = 0; i < score.size(); ++i) (truth[i] ? positive : negative).push_back(score[i]);
  std::sort(positive.begin(), positive.end());
  std::sort(negative.begin(), negative.end());
  double best_t = kNaN, best_d = std::numeric_limits<double>::infinity();
  for (double t : threshold_grid()) {
    const auto above = [t](const std::vector<double>& v) {
      return static_cast<double>(v.end() - std::upper_bound(v.begin(), v.end(), t));
    };
    const double tpr = above(positive) / pos, fpr = above(negative) / neg;
    const double d = std::sqrt((1 - tpr) * (1 - tpr) + fpr * fpr);
    if (d <= best_d) best_d = d, best_t = t;  // "<=": ties go to the larger threshold
  }
  return best_t;
}

ThresholdMetrics metrics_from_confusion(const Confusion& c, double threshold) {
  ThresholdMetrics m;
  m.threshold = threshold;
  const double tp = c.tp, fp = c.fp, tn = c.tn, fn = c.fn, n = tp + fp + tn + fn;
  m.accuracy = safe_ratio(tp + tn, n);
  m.sensitivity = safe_ratio(tp, tp + fn);
  m.specificity = safe_ratio(tn, tn + fp);
  m.precision = safe_ratio(tp, tp + fp);
  const auto f1 = [](double hit, double false_alarm, double miss) {
    return safe_ratio(2 * hit, 2 * hit + false_alarm + miss);  // == 2PR/(P+R), 0 when undefined
  };
  const double f1_positive = f1(tp, fp, fn), f1_negative = f1(tn, fn, fp);
  m.f1_weighted = safe_ratio(f1_positive * (tp + fn) + f1_negative * (tn + fp), n);
  return m;
}

LabelMetrics evaluate_label(const std::string& name, const std::vector<double>& score,
                            const std::vector<uint8_t>& truth) {
  return evaluate_label_at(name, score, truth, roc_distance_threshold(score, truth));
}

LabelMetrics evaluate_label_at(const std::string& name, const std::vector<double>& score,
                               const std::vector<uint8_t>& truth, double threshold) {
  check_sizes(score, truth, name.c_str());
  LabelMetrics m;
  m.name = name;
  m.count = static_cast<int64_t>(score.size());
  m.positives = class_counts(truth).first;
  m.auc = roc_auc(score, truth);
  m.defined = !std::isnan(m.auc) && !std::isnan(threshold);
  if (!m.defined) {
    m.auc = kNaN;
    m.at = undefined_metrics();
    return m;
  }
  m.at = metrics_from_confusion(confusion_at(score, truth, threshold), threshold);
  return m;
}

MacroMetrics macro_average(const std::vector<LabelMetrics>& labels) {
  MacroMetrics macro;
  macro.labels = static_cast<int64_t>(labels.size());
  double sums[6] = {0, 0, 0, 0, 0, 0};
  int64_t defined = 0;
  for (const auto& l : labels) {
    if (!l.defined) {
      ++macro.undefined;
      continue;
    }
    ++defined;
    const double values[6] = {l.auc,          l.at.accuracy,   l.at.sensitivity, l.at.specificity,
                              l.at.precision, l.at.f1_weighted};
    for (int k = 0; k < 6; ++k) sums[k] += values[k];
  }
  double* out[6] = {&macro.auc,         &macro.accuracy,  &macro.sensitivity,
                    &macro.specificity, &macro.precision, &macro.f1_weighted};
  for (int k = 0; k < 6; ++k) *out[k] = defined ? sums[k] / static_cast<double>(defined) : kNaN;
  return macro;
}

double quantile(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }), values.end());
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(position));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * fraction;
}

double mean_of(const std::vector<double>& values) {
  double sum = 0;
  int64_t n = 0;
  for (double v : values)
    if (!std::isnan(v)) sum += v, ++n;
  return n ? sum / static_cast<double>(n) : kNaN;
}

double population_sd(const std::vector<double>& values) {
  const double mean = mean_of(values);
  if (std::isnan(mean)) return kNaN;
  double sq = 0;
  int64_t n = 0;
  for (double v : values)
    if (!std::isnan(v)) sq += (v - mean) * (v - mean), ++n;
  return std::sqrt(sq / static_cast<double>(n));
}

}  // namespace cagcl::eval
