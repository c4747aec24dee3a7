#include "eval/fitted_threshold.hpp"

#include <cmath>
#include <limits>

#include "common/error.hpp"

namespace cagcl::eval {

std::vector<int> patient_folds(const std::vector<std::string>& patients, int folds) {
  if (folds < 1) throw UsageError("patient_folds: folds must be >= 1");
  std::vector<int> out;
  out.reserve(patients.size());
  for (const auto& p : patients) {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
    for (unsigned char c : p) h = (h ^ c) * 1099511628211ULL;
    out.push_back(static_cast<int>(h % static_cast<uint64_t>(folds)));
  }
  return out;
}

std::vector<LabelMetrics> cross_fitted_metrics(const ScoreTable& table, const std::vector<int>& fold, int folds) {
  if (folds < 2) throw UsageError("cross_fitted_metrics: folds must be >= 2");
  std::vector<LabelMetrics> out;
  for (const auto& label : table) {
    if (label.score.size() != fold.size() || label.truth.size() != fold.size())
      throw UsageError("cross_fitted_metrics: label '" + label.name + "' and the fold list differ in length");
    LabelMetrics m = evaluate_label_at(label.name, label.score, label.truth, 0.5);  // counts and AUC
    Confusion total;
    double threshold_sum = 0;
    bool defined = m.defined;
    for (int f = 0; f < folds && defined; ++f) {
      LabelScores fit, test;
      for (size_t i = 0; i < fold.size(); ++i) {
        LabelScores& into = fold[i] == f ? test : fit;
        into.score.push_back(label.score[i]);
        into.truth.push_back(label.truth[i]);
      }
      const double t = roc_distance_threshold(fit.score, fit.truth);
      if (std::isnan(t)) {
        defined = false;
        break;
      }
      threshold_sum += t;
      const Confusion c = confusion_at(test.score, test.truth, t);
      total.tp += c.tp, total.fp += c.fp, total.tn += c.tn, total.fn += c.fn;
    }
    if (!defined) {
      m = evaluate_label_at(label.name, label.score, label.truth, std::numeric_limits<double>::quiet_NaN());
    } else {
      m.at = metrics_from_confusion(total, threshold_sum / folds);
    }
    out.push_back(m);
  }
  return out;
}

std::vector<LabelMetrics> fitted_metrics(const ScoreTable& fit, const ScoreTable& test) {
  if (fit.size() != test.size()) throw UsageError("fitted_metrics: fit and test have different label sets");
  std::vector<LabelMetrics> out;
  for (size_t l = 0; l < test.size(); ++l) {
    if (fit[l].name != test[l].name)
      throw UsageError("fitted_metrics: label " + std::to_string(l) + " is '" + fit[l].name + "' in fit, '" +
                       test[l].name + "' in test");
    out.push_back(evaluate_label_at(test[l].name, test[l].score, test[l].truth,
                                    roc_distance_threshold(fit[l].score, fit[l].truth)));
  }
  return out;
}

}  // namespace cagcl::eval
