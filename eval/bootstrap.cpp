#include "eval/bootstrap.hpp"

#include <cmath>
#include <string>

#include "common/error.hpp"
#include "data/phantom/rng.hpp"
#include "eval/metrics.hpp"

namespace cagcl::eval {
namespace {

// Uniform in [0, n) without modulo bias (std:: distributions differ between standard libraries).
uint64_t draw_below(data::phantom::Rng& rng, uint64_t n) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = rng.next();
  while (x >= limit);
  return x % n;
}

Interval interval_of(const std::vector<double>& values, double confidence) {
  Interval out;
  for (double v : values) out.resamples += std::isnan(v) ? 0 : 1;
  out.low = quantile(values, (1 - confidence) / 2);
  out.high = quantile(values, (1 + confidence) / 2);
  return out;
}

}  // namespace

BootstrapIntervals bootstrap_intervals(const ScoreTable& table, const BootstrapOptions& options) {
  if (options.resamples < 1)
    throw UsageError("bootstrap: resamples must be >= 1, got " + std::to_string(options.resamples));
  if (!(options.confidence > 0 && options.confidence < 1))
    throw UsageError("bootstrap: confidence must be in (0, 1), got " + std::to_string(options.confidence));
  BootstrapIntervals out;
  if (table.empty()) return out;
  const size_t n = table.front().score.size();
  for (const auto& label : table)
    if (label.score.size() != n || label.truth.size() != n)
      throw UsageError("bootstrap: label '" + label.name + "' has a different number of volumes");
  const size_t L = table.size(), R = static_cast<size_t>(options.resamples);
  std::vector<std::vector<double>> auc(L, std::vector<double>(R));
  std::vector<double> macro[6];
  for (auto& m : macro) m.resize(R);
  std::vector<size_t> pick(n);
  std::vector<LabelMetrics> resampled(L);
  LabelScores drawn;
  for (size_t r = 0; r < R; ++r) {
    data::phantom::Rng rng(data::phantom::derive_seed(options.seed, static_cast<uint64_t>(r)));
    for (auto& p : pick) p = n ? draw_below(rng, n) : 0;
    for (size_t l = 0; l < L; ++l) {
      drawn.score.resize(n);
      drawn.truth.resize(n);
      for (size_t i = 0; i < n; ++i) drawn.score[i] = table[l].score[pick[i]], drawn.truth[i] = table[l].truth[pick[i]];
      resampled[l] = evaluate_label(table[l].name, drawn.score, drawn.truth);
      auc[l][r] = resampled[l].auc;
    }
    const MacroMetrics m = macro_average(resampled);
    const double values[6] = {m.auc, m.accuracy, m.sensitivity, m.specificity, m.precision, m.f1_weighted};
    for (int k = 0; k < 6; ++k) macro[k][r] = values[k];
  }
  for (size_t l = 0; l < L; ++l) out.label_auc.push_back(interval_of(auc[l], options.confidence));
  Interval* targets[6] = {&out.macro_auc,         &out.macro_accuracy,  &out.macro_sensitivity,
                          &out.macro_specificity, &out.macro_precision, &out.macro_f1_weighted};
  for (int k = 0; k < 6; ++k) *targets[k] = interval_of(macro[k], options.confidence);
  return out;
}

}  // namespace cagcl::eval
