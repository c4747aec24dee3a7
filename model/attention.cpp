#include "model/attention.hpp"

#include <torch/torch.h>

#include <torch/version.h>

#include <cmath>

namespace cagcl::model {

torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                           const torch::Tensor& additive_mask) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(
      q, k, v, additive_mask.defined() ? c10::optional<at::Tensor>(additive_mask.to(q.dtype())) : c10::nullopt);
#else
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  if (additive_mask.defined()) scores = scores + additive_mask.to(scores.dtype());
  return torch::matmul(torch::softmax(scores, -1), v);
#endif
}

}  // namespace cagcl::model
