#pragma once
// Linear probe (a standard diagnostic of a contrastive model): logistic regression on frozen per-anatomy image
// embeddings, fitted on one split and scored (ROC AUC) on another. It says per finding whether the image side
// learned to separate it, independently of the text side and the prompts; docs/learning.md reads its figures.
#include <cstdint>
#include <string>
#include <vector>

#include "eval/protocol.hpp"
#include "eval/zero_shot.hpp"

namespace cagcl::eval {

struct LinearProbeOptions {
  double l2 = 1e-2;          // ridge penalty on the weights, per sample (features are standardised first)
  int64_t iterations = 200;  // L-BFGS iterations (full batch, deterministic)
};

struct LinearProbeResult {
  std::string finding, anatomy;
  int64_t train_samples = 0, train_positives = 0, eval_samples = 0, eval_positives = 0;
  double auc = 0;  // NaN when either split lacks one of the classes
};

// One probe per protocol finding on the embedding of its anatomy, the truth being the dataset's label column of
// the finding's name (`label_names`: the dataset's columns, the order of VolumeEmbeddings::labels); only volumes
// where that anatomy is present take part. UsageError when a finding's anatomy or column is missing.
std::vector<LinearProbeResult> linear_probe(const Protocol& protocol, const std::vector<std::string>& anatomies,
                                            const std::vector<std::string>& label_names, const VolumeEmbeddings& train,
                                            const VolumeEmbeddings& eval, const LinearProbeOptions& options = {});

// Probability scores of a logistic regression fitted on (x_train [n,d] row-major, y_train) for x_eval.
// Exposed for its test.
std::vector<double> fit_and_score_logistic(const std::vector<float>& x_train, const std::vector<uint8_t>& y_train,
                                           const std::vector<float>& x_eval, int64_t dim,
                                           const LinearProbeOptions& options);

}  // namespace cagcl::eval
