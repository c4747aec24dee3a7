#include <torch/torch.h>

#include "trainer/adamw.hpp"

#include <cmath>

namespace cagcl::trainer {

bool decays(const torch::Tensor& parameter) { return parameter.dim() >= 2; }

void adamw_update(torch::Tensor param, const torch::Tensor& grad, torch::Tensor exp_avg, torch::Tensor exp_avg_sq,
                  double lr, double weight_decay, int64_t step, const AdamWOptions& o) {
  torch::NoGradGuard no_grad;
  // Same operation order as torch.optim.AdamW (single-tensor path), so results match it element for element.
  if (weight_decay != 0) param.mul_(1.0 - lr * weight_decay);
  exp_avg.mul_(o.beta1).add_(grad, 1.0 - o.beta1);
  exp_avg_sq.mul_(o.beta2).addcmul_(grad, grad, 1.0 - o.beta2);
  const double bias_correction1 = 1.0 - std::pow(o.beta1, static_cast<double>(step));
  const double bias_correction2 = 1.0 - std::pow(o.beta2, static_cast<double>(step));
  const auto denom = (exp_avg_sq.sqrt() / std::sqrt(bias_correction2)).add_(o.eps);
  param.addcdiv_(exp_avg, denom, -lr / bias_correction1);
}

}  // namespace cagcl::trainer
