#include "model/anatomy_pooling.hpp"

#include <torch/torch.h>

#include <limits>
#include <string>

#include "common/error.hpp"
#include "model/attention.hpp"

namespace cagcl::model {

torch::Tensor token_membership(const torch::Tensor& anatomy, int64_t num_anatomies,
                               const std::array<int64_t, 3>& patch) {
  if (anatomy.dim() != 4) {
    throw UsageError("anatomy label map must be [B,D,H,W], got " + std::to_string(anatomy.dim()) + " dimensions");
  }
  const int64_t B = anatomy.size(0);
  std::array<int64_t, 3> grid{};
  for (size_t i = 0; i < 3; ++i) {
    const int64_t size = anatomy.size(static_cast<int64_t>(i) + 1);
    if (size == 0 || size % patch[i] != 0) {
      throw UsageError("anatomy label map axis " + std::to_string(i) + " has " + std::to_string(size) +
                       " voxels, not a positive multiple of the patch size " + std::to_string(patch[i]));
    }
    grid[i] = size / patch[i];
  }
  // [B, gD,pD, gH,pH, gW,pW] -> [B, N, voxels per patch]: one row per token, so "any voxel of anatomy k in the
  // patch" is a row-wise any(), exactly max_pool3d(mask_k, kernel = stride = patch) > 0.
  const auto per_token = anatomy.view({B, grid[0], patch[0], grid[1], patch[1], grid[2], patch[2]})
                             .permute({0, 1, 3, 5, 2, 4, 6})
                             .reshape({B, grid[0] * grid[1] * grid[2], patch[0] * patch[1] * patch[2]});
  std::vector<torch::Tensor> members;
  members.reserve(static_cast<size_t>(num_anatomies));
  for (int64_t k = 1; k <= num_anatomies; ++k) members.push_back((per_token == k).any(-1));
  return torch::stack(members, 1);
}

AnatomyPoolingImpl::AnatomyPoolingImpl(int64_t num_anatomies, int64_t width, int64_t heads, int64_t embed_dim)
    : num_anatomies_(num_anatomies), width_(width), heads_(heads) {
  if (num_anatomies < 1) throw UsageError("data.anatomies: at least one anatomy is needed");
  if (width % heads != 0) throw UsageError("model.pool_heads: must divide vision.width");
  queries_ = register_parameter("queries", torch::zeros({num_anatomies, width}));
  auto attention = register_module("attention", std::make_shared<torch::nn::Module>());
  in_proj_weight_ = attention->register_parameter("in_proj_weight", torch::zeros({3 * width, width}));
  in_proj_bias_ = attention->register_parameter("in_proj_bias", torch::zeros({3 * width}));
  out_proj_ = attention->register_module("out_proj", torch::nn::Linear(width, width));
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  projections_ = register_module("projections", torch::nn::ModuleList());
  for (int64_t a = 0; a < num_anatomies; ++a)
    projections_->push_back(torch::nn::Linear(torch::nn::LinearOptions(width, embed_dim).bias(false)));
  // PyTorch nn.MultiheadAttention's defaults, so a standalone module works; CagclModel re-initialises from
  // its seed.
  torch::NoGradGuard no_grad;
  queries_.normal_(0.0, 0.02);
  torch::nn::init::xavier_uniform_(in_proj_weight_);
}

torch::Tensor AnatomyPoolingImpl::forward(const std::vector<torch::Tensor>& tokens, const torch::Tensor& membership) {
  if (tokens.empty()) throw UsageError("anatomy pooling needs the tokens of at least one depth");
  const auto keys = torch::cat(tokens, 1);  // [B, T*N, C], depth-major
  const int64_t B = keys.size(0), K = keys.size(1), A = num_anatomies_, C = width_, H = heads_, d = C / H;
  const auto T = static_cast<int64_t>(tokens.size());
  if (membership.dim() != 3 || membership.size(0) != B || membership.size(1) != A || membership.size(2) * T != K) {
    throw UsageError("anatomy membership must be [B,A,N] = [" + std::to_string(B) + "," + std::to_string(A) + "," +
                     std::to_string(K / T) + "]");
  }
  const auto has_tokens = membership.any(-1);  // [B,A]
  // An anatomy without tokens would have a row of -inf scores, whose softmax is NaN. It attends to every
  // token instead and its output is zeroed below, so its embedding is finite and depends on no token.
  const auto allowed = membership.repeat({1, 1, T}) | has_tokens.logical_not().unsqueeze(-1);  // [B,A,K]
  const auto additive = torch::zeros({B, 1, A, K}, keys.options())
                            .masked_fill(allowed.logical_not().unsqueeze(1), -std::numeric_limits<float>::infinity());

  const auto w = in_proj_weight_.chunk(3, 0);
  const auto b = in_proj_bias_.chunk(3, 0);
  const auto q = torch::nn::functional::linear(queries_, w[0], b[0])
                     .view({1, A, H, d})
                     .transpose(1, 2)
                     .expand({B, H, A, d})
                     .contiguous();
  const auto k = torch::nn::functional::linear(keys, w[1], b[1]).view({B, K, H, d}).transpose(1, 2);
  const auto v = torch::nn::functional::linear(keys, w[2], b[2]).view({B, K, H, d}).transpose(1, 2);
  auto attended = scaled_dot_product_attention(q, k, v, additive).transpose(1, 2).reshape({B, A, C});
  attended = norm_(out_proj_(attended)) * has_tokens.unsqueeze(-1).to(attended.dtype());

  std::vector<torch::Tensor> embeddings;
  embeddings.reserve(static_cast<size_t>(A));
  for (int64_t a = 0; a < A; ++a) {
    embeddings.push_back(
        projections_->ptr(static_cast<size_t>(a))->as<torch::nn::LinearImpl>()->forward(attended.select(1, a)));
  }
  return torch::nn::functional::normalize(torch::stack(embeddings, 1),
                                          torch::nn::functional::NormalizeFuncOptions().p(2).dim(-1));
}

}  // namespace cagcl::model
