#pragma once
// Seeded bootstrap confidence intervals of the protocol's figures. Each resample draws as many volumes as
// were evaluated, with replacement, the same draw for every label (so the macro average of a resample is
// over one set of volumes), and recomputes AUC, the ROC-distance threshold and the figures at it. The
// interval is the (1-c)/2 and (1+c)/2 percentiles of the resampled values (numpy's linear interpolation).
// Deterministic: resample r draws from its own stream keyed by (seed, r), independent of threads and ranks.
#include <cstdint>
#include <limits>
#include <vector>

#include "eval/score_table.hpp"

namespace cagcl::eval {

struct Interval {
  double low = std::numeric_limits<double>::quiet_NaN();
  double high = std::numeric_limits<double>::quiet_NaN();
  int64_t resamples = 0;  // resamples in which the figure was defined (a label with both classes drawn)
};

struct BootstrapOptions {
  int64_t resamples = 1000;
  uint64_t seed = 42;
  double confidence = 0.95;
};

struct BootstrapIntervals {
  std::vector<Interval> label_auc;  // one per label of the table, same order
  Interval macro_auc, macro_accuracy, macro_sensitivity, macro_specificity, macro_precision, macro_f1_weighted;
};

// UsageError when resamples < 1 or confidence is not in (0, 1). An empty table gives empty intervals.
BootstrapIntervals bootstrap_intervals(const ScoreTable& table, const BootstrapOptions& options);

}  // namespace cagcl::eval
