#pragma once
// The honest variant of the protocol's threshold: the ROC-distance threshold is fitted on volumes other than
// the ones it is measured on. The published protocol picks the threshold on the test scores themselves,
// which flatters sensitivity/specificity; here the evaluated volumes are split into patient-disjoint folds
// and each fold is measured at the threshold fitted on the other folds (cross-fitting), so every volume
// counts once and no threshold has seen its own volume or patient.
#include <cstdint>
#include <string>
#include <vector>

#include "eval/metrics.hpp"
#include "eval/score_table.hpp"

namespace cagcl::eval {

// Fold of each volume from its patient id: a stable hash (FNV-1a) modulo `folds`, so all scans of a patient
// share a fold and the split does not depend on the volume order or the number of ranks.
std::vector<int> patient_folds(const std::vector<std::string>& patients, int folds);

// Per label: AUC over all volumes; confusion counts summed over folds, each fold at the threshold fitted on
// the other folds; `at.threshold` is the mean of the fold thresholds. Undefined (NaN) when the label has one
// class, or some fold's complement has one class. UsageError when sizes disagree or folds < 2.
std::vector<LabelMetrics> cross_fitted_metrics(const ScoreTable& table, const std::vector<int>& fold, int folds);

// Thresholds fitted on `fit` (another split), applied to `test`; labels matched by position and name.
std::vector<LabelMetrics> fitted_metrics(const ScoreTable& fit, const ScoreTable& test);

}  // namespace cagcl::eval
