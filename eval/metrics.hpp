#pragma once
// Per-label binary classification metrics of the fVLM / CT-CLIP zero-shot protocol (docs/evaluation.md):
// ROC AUC, the ROC-distance threshold over linspace(0, 1, 100), and accuracy, sensitivity, specificity,
// precision and support-weighted F1 at that threshold. No torch: plain vectors.
//
// A label whose ground truth has only one class has no ROC curve: every figure of it is NaN ("undefined",
// null in JSON), and macro averages leave it out and count it. NaN, never an exception: one label without
// positives in a small split must not stop an evaluation.
#include <cstdint>
#include <string>
#include <vector>

namespace cagcl::eval {

// ROC AUC = the Mann-Whitney statistic P(score_pos > score_neg) + 0.5 P(equal), which is what sklearn's
// roc_auc_score gives (trapezoids through tied scores). NaN when `truth` has one class.
// DataError-free: sizes must match (UsageError otherwise).
double roc_auc(const std::vector<double>& score, const std::vector<uint8_t>& truth);

// One point of the ROC curve: predictions score >= threshold.
struct RocPoint {
  double fpr = 0, tpr = 0, threshold = 0;
};
// The curve through every distinct score, from (0, 0) (threshold +inf) to (1, 1), as sklearn's roc_curve
// with drop_intermediate=False. Empty when `truth` has one class.
std::vector<RocPoint> roc_curve(const std::vector<double>& score, const std::vector<uint8_t>& truth);

// numpy.linspace(0, 1, 100): the candidate thresholds of the protocol (computed as numpy does: i * step,
// the last one exactly 1).
const std::vector<double>& threshold_grid();

// Confusion counts for the prediction score > threshold.
struct Confusion {
  int64_t tp = 0, fp = 0, tn = 0, fn = 0;
};
Confusion confusion_at(const std::vector<double>& score, const std::vector<uint8_t>& truth, double threshold);

// The t of threshold_grid() minimising sqrt((1 - TPR)^2 + FPR^2) for score > t; on equal distance the
// larger t. NaN when `truth` has one class.
double roc_distance_threshold(const std::vector<double>& score, const std::vector<uint8_t>& truth);

// Figures of one confusion matrix. precision = TP / (TP + FP), 0 when nothing is predicted positive (sklearn's
// zero_division default); f1_weighted = the F1 of each class (positive, and negative taken as positive)
// averaged with weights = class support, each class's F1 0 when undefined (sklearn f1_score(average="weighted")).
struct ThresholdMetrics {
  double threshold = 0;
  double accuracy = 0, sensitivity = 0, specificity = 0, precision = 0, f1_weighted = 0;
};
ThresholdMetrics metrics_from_confusion(const Confusion& c, double threshold);

// Everything the protocol reports for one label.
struct LabelMetrics {
  std::string name;
  int64_t count = 0;      // volumes scored
  int64_t positives = 0;  // of which ground truth 1
  bool defined = false;   // both classes present; false = every figure below is NaN
  double auc = 0;
  ThresholdMetrics at;  // at roc_distance_threshold (or at a given threshold, see below)
};
// AUC and the figures at the label's own ROC-distance threshold.
LabelMetrics evaluate_label(const std::string& name, const std::vector<double>& score,
                            const std::vector<uint8_t>& truth);
// AUC and the figures at a threshold chosen elsewhere (a validation split); NaN threshold = undefined.
LabelMetrics evaluate_label_at(const std::string& name, const std::vector<double>& score,
                               const std::vector<uint8_t>& truth, double threshold);

// Unweighted means over the defined labels; `undefined` counts the labels left out. All NaN when no label
// is defined.
struct MacroMetrics {
  int64_t labels = 0, undefined = 0;
  double auc = 0, accuracy = 0, sensitivity = 0, specificity = 0, precision = 0, f1_weighted = 0;
};
MacroMetrics macro_average(const std::vector<LabelMetrics>& labels);

// The q-th quantile (0..1) with linear interpolation between order statistics (numpy.percentile's default);
// NaN values are ignored; NaN when none is left.
double quantile(std::vector<double> values, double q);
// Mean and population standard deviation (numpy.std, ddof = 0) of the non-NaN values; NaN when none.
double mean_of(const std::vector<double>& values);
double population_sd(const std::vector<double>& values);

}  // namespace cagcl::eval
