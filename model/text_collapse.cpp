#include <torch/torch.h>

#include "model/text_collapse.hpp"

namespace cagcl::model {

std::optional<double> text_collapse_index(const Instances& instances) {
  torch::NoGradGuard no_grad;
  if (!instances.t.defined() || instances.t.size(0) < 2) return std::nullopt;
  const auto t = torch::nn::functional::normalize(instances.t.to(torch::kDouble),
                                                  torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto cross = instances.anatomy.unsqueeze(1) != instances.anatomy.unsqueeze(0);
  const int64_t pairs = cross.sum().item<int64_t>();
  if (pairs == 0) return std::nullopt;
  return (t.matmul(t.t()) * cross.to(torch::kDouble)).sum().item<double>() / static_cast<double>(pairs);
}

}  // namespace cagcl::model
