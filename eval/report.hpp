#pragma once
// Everything one `cagcl eval` measured, ready to be written (eval/report_writer.hpp). Plain data, no torch.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/bootstrap.hpp"
#include "eval/metrics.hpp"
#include "eval/prompt_robustness.hpp"
#include "eval/prompt_templates.hpp"
#include "eval/retrieval.hpp"
#include "eval/score_table.hpp"
#include "eval/text_similarity.hpp"

namespace cagcl::eval {

// The results of one template family.
struct FamilyReport {
  TemplateFamily family;
  ScoreTable scores;    // per label, per volume (volume order of EvalReport::volumes)
  FamilyResult result;  // per-label metrics at the ROC-distance threshold, macro average
  BootstrapIntervals bootstrap;
  std::vector<LabelMetrics> fitted;  // thresholds cross-fitted on patient-disjoint folds
  MacroMetrics fitted_macro;
};

// How often each anatomy could be scored.
struct AnatomyCounts {
  std::string anatomy;
  int64_t present = 0, absent = 0, partial = 0;  // partial = dropped: less than min_inside in its window
};

struct EvalReport {
  nlohmann::ordered_json run;        // provenance: checkpoint, dataset, protocol, split, window, tau, ...
  std::vector<std::string> volumes;  // evaluated volume names, evaluation order
  std::vector<AnatomyCounts> anatomies;
  std::vector<std::string> absent_scored_zero;  // reminder of the rule, per finding: "Emphysema (lung)"
  std::vector<FamilyReport> families;
  PromptRobustness robustness;
  TextSimilarity similarity;
  std::vector<std::string> similarity_anatomies;  // names of the similarity's anatomy ids
  RetrievalResult retrieval;                      // no K (ks empty) when it was not computed
};

}  // namespace cagcl::eval
