#pragma once
// Prompt robustness, the CA-GCL paper's headline: the same model scored under several template families.
// A model whose text space collapsed ranks volumes very differently depending on the wording, so its macro
// AUC moves a lot from family to family. Spreads are population SDs (numpy.std, ddof = 0) over the families
// where the figure is defined.
#include <string>
#include <vector>

#include "eval/metrics.hpp"

namespace cagcl::eval {

struct FamilyResult {
  std::string family;
  std::vector<LabelMetrics> labels;  // protocol order, same labels for every family
  MacroMetrics macro;
};

struct LabelSpread {
  std::string label;
  std::vector<double> auc;  // one per family, in family order (NaN = undefined)
  double mean = 0, sd = 0, min = 0, max = 0, range = 0;
};

struct PromptRobustness {
  std::vector<std::string> families;
  std::vector<double> macro_auc;  // one per family
  double mean_macro_auc = 0, sd_macro_auc = 0, min_macro_auc = 0, max_macro_auc = 0;
  std::vector<LabelSpread> labels;
};

// UsageError when the families do not report the same labels in the same order.
PromptRobustness prompt_robustness(const std::vector<FamilyResult>& results);

}  // namespace cagcl::eval
