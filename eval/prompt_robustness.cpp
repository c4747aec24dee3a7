#include "eval/prompt_robustness.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.hpp"

namespace cagcl::eval {
namespace {

void min_max(const std::vector<double>& values, double& lo, double& hi) {
  lo = std::numeric_limits<double>::quiet_NaN(), hi = lo;
  for (double v : values) {
    if (std::isnan(v)) continue;
    lo = std::isnan(lo) ? v : std::min(lo, v);
    hi = std::isnan(hi) ? v : std::max(hi, v);
  }
}

}  // namespace

PromptRobustness prompt_robustness(const std::vector<FamilyResult>& results) {
  PromptRobustness out;
  for (const auto& r : results) {
    out.families.push_back(r.family);
    out.macro_auc.push_back(r.macro.auc);
  }
  out.mean_macro_auc = mean_of(out.macro_auc);
  out.sd_macro_auc = population_sd(out.macro_auc);
  min_max(out.macro_auc, out.min_macro_auc, out.max_macro_auc);
  if (results.empty()) return out;
  const auto& first = results.front().labels;
  for (const auto& r : results) {
    if (r.labels.size() != first.size())
      throw UsageError("prompt robustness: family '" + r.family + "' reports a different number of labels");
    for (size_t l = 0; l < first.size(); ++l)
      if (r.labels[l].name != first[l].name)
        throw UsageError("prompt robustness: family '" + r.family + "' reports '" + r.labels[l].name +
                         "' where the first family reports '" + first[l].name + "'");
  }
  for (size_t l = 0; l < first.size(); ++l) {
    LabelSpread s;
    s.label = first[l].name;
    for (const auto& r : results) s.auc.push_back(r.labels[l].auc);
    s.mean = mean_of(s.auc);
    s.sd = population_sd(s.auc);
    min_max(s.auc, s.min, s.max);
    s.range = s.max - s.min;
    out.labels.push_back(std::move(s));
  }
  return out;
}

}  // namespace cagcl::eval
