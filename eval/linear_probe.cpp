#include "eval/linear_probe.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "eval/metrics.hpp"

namespace cagcl::eval {
namespace {

torch::Tensor as_matrix(const std::vector<float>& x, int64_t dim) {
  const auto rows = static_cast<int64_t>(x.size()) / dim;
  return torch::from_blob(const_cast<float*>(x.data()), {rows, dim}, torch::kFloat).to(torch::kDouble);
}

size_t index_of(const std::vector<std::string>& names, const std::string& name, const char* what) {
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end())
    throw UsageError(std::string("linear probe: ") + what + " '" + name + "' is not in the dataset");
  return static_cast<size_t>(it - names.begin());
}

// Rows of anatomy `a` that are present, with the truth of label column `column`.
void present_rows(const VolumeEmbeddings& images, int64_t a, size_t column, std::vector<float>& x,
                  std::vector<uint8_t>& y) {
  for (int64_t i = 0; i < images.volumes; ++i) {
    if (images.status[static_cast<size_t>(i * images.anatomies + a)] != static_cast<uint8_t>(AnatomyStatus::present))
      continue;
    const float* row = images.v.data() + (i * images.anatomies + a) * images.dim;
    x.insert(x.end(), row, row + images.dim);
    y.push_back(images.labels[static_cast<size_t>(i)].at(column) ? 1 : 0);
  }
}

}  // namespace

std::vector<double> fit_and_score_logistic(const std::vector<float>& x_train, const std::vector<uint8_t>& y_train,
                                           const std::vector<float>& x_eval, int64_t dim,
                                           const LinearProbeOptions& options) {
  if (dim < 1 || x_train.size() != y_train.size() * static_cast<size_t>(dim) ||
      x_eval.size() % static_cast<size_t>(dim))
    throw UsageError("linear probe: feature matrices do not match the dimension " + std::to_string(dim));
  torch::NoGradGuard outer;
  const auto train = as_matrix(x_train, dim), eval = as_matrix(x_eval, dim);
  // Standardised with the training split's statistics, so one penalty fits every model's embedding scale.
  const auto mean = train.mean(0), sd = train.std(0, /*unbiased=*/false).clamp_min(1e-8);
  const auto xt = (train - mean) / sd, xe = (eval - mean) / sd;
  const auto y =
      torch::from_blob(const_cast<uint8_t*>(y_train.data()), {static_cast<int64_t>(y_train.size())}, torch::kUInt8)
          .to(torch::kDouble);
  auto w = torch::zeros({dim}, torch::kDouble).requires_grad_(true);
  auto b = torch::zeros({}, torch::kDouble).requires_grad_(true);
  torch::optim::LBFGS solver(
      {w, b}, torch::optim::LBFGSOptions(1.0).max_iter(options.iterations).line_search_fn("strong_wolfe"));
  const auto closure = [&] {
    solver.zero_grad();
    torch::AutoGradMode grad(true);
    const auto logits = xt.matmul(w) + b;
    auto loss = torch::binary_cross_entropy_with_logits(logits, y) + options.l2 * w.pow(2).sum();
    loss.backward();
    return loss;
  };
  solver.step(closure);
  const auto p = torch::sigmoid(xe.matmul(w) + b).contiguous();
  return std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
}

std::vector<LinearProbeResult> linear_probe(const Protocol& protocol, const std::vector<std::string>& anatomies,
                                            const std::vector<std::string>& label_names, const VolumeEmbeddings& train,
                                            const VolumeEmbeddings& eval, const LinearProbeOptions& options) {
  if (train.dim != eval.dim || train.anatomies != eval.anatomies)
    throw UsageError("linear probe: the two splits' embeddings differ in shape");
  std::vector<LinearProbeResult> out;
  for (size_t f = 0; f < protocol.findings.size(); ++f) {
    const Finding& finding = protocol.findings[f];
    const auto a = static_cast<int64_t>(index_of(anatomies, finding.anatomy, "anatomy"));
    const size_t column = index_of(label_names, finding.name, "label");
    LinearProbeResult r{finding.name, finding.anatomy};
    std::vector<float> xt, xe;
    std::vector<uint8_t> yt, ye;
    present_rows(train, a, column, xt, yt);
    present_rows(eval, a, column, xe, ye);
    r.train_samples = static_cast<int64_t>(yt.size());
    r.eval_samples = static_cast<int64_t>(ye.size());
    r.train_positives = std::count(yt.begin(), yt.end(), 1);
    r.eval_positives = std::count(ye.begin(), ye.end(), 1);
    const bool fittable = r.train_positives > 0 && r.train_positives < r.train_samples;
    r.auc = fittable ? roc_auc(fit_and_score_logistic(xt, yt, xe, train.dim, options), ye)
                     : std::numeric_limits<double>::quiet_NaN();
    out.push_back(r);
  }
  return out;
}

}  // namespace cagcl::eval
