#include "model/vision_transformer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "model/attention.hpp"

namespace cagcl::model {
namespace {

namespace F = torch::nn::functional;

// timm's ViT uses LayerNorm eps 1e-6; fVLM's encoder inherits it.
constexpr double kLayerNormEps = 1e-6;

// Submodules whose only job is to give parameters their conventional dotted names (attn.qkv, mlp.fc1, ...).
std::shared_ptr<torch::nn::Module> module_scope(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

}  // namespace

torch::Tensor interpolate_position_embedding(const torch::Tensor& pos_embed, const Grid& grid) {
  if (pos_embed.dim() != 5 || pos_embed.size(0) != 1) {
    throw UsageError("position embedding must be [1, gD, gH, gW, C], got " + std::to_string(pos_embed.dim()) +
                     " dimensions");
  }
  auto channels_first = pos_embed.permute({0, 4, 1, 2, 3});
  auto resized = F::interpolate(channels_first, F::InterpolateFuncOptions()
                                                    .size(std::vector<int64_t>(grid.begin(), grid.end()))
                                                    .mode(torch::kTrilinear)
                                                    .align_corners(false));
  return resized.permute({0, 2, 3, 4, 1}).contiguous();
}

TransformerBlockImpl::TransformerBlockImpl(int64_t width, int64_t heads, int64_t mlp_width) : heads_(heads) {
  norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(kLayerNormEps)));
  auto attn = module_scope(*this, "attn");
  qkv_ = attn->register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(width, 3 * width).bias(true)));
  proj_ = attn->register_module("proj", torch::nn::Linear(width, width));
  norm2_ = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(kLayerNormEps)));
  auto mlp = module_scope(*this, "mlp");
  fc1_ = mlp->register_module("fc1", torch::nn::Linear(width, mlp_width));
  fc2_ = mlp->register_module("fc2", torch::nn::Linear(mlp_width, width));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x) {
  const int64_t B = x.size(0), N = x.size(1), C = x.size(2);
  // [B,N,3C] -> 3 x [B,heads,N,C/heads]
  auto qkv = qkv_(norm1_(x)).view({B, N, 3, heads_, C / heads_}).permute({2, 0, 3, 1, 4});
  auto attended = scaled_dot_product_attention(qkv[0], qkv[1], qkv[2]);
  auto h = x + proj_(attended.transpose(1, 2).reshape({B, N, C}));
  return h + fc2_(torch::gelu(fc1_(norm2_(h))));
}

VisionTransformerImpl::VisionTransformerImpl(const VisionConfig& config, const Grid& grid)
    : patch_(config.patch),
      width_(config.width),
      depth_(config.depth),
      return_layers_(config.return_layers),
      grid_(grid) {
  if (return_layers_.empty()) throw UsageError("vision.return_layers: at least one layer is needed");
  for (auto layer : return_layers_) {
    if (layer < 1 || layer > depth_) {
      throw UsageError("vision.return_layers: layer " + std::to_string(layer) + " is not in 1.." +
                       std::to_string(depth_));
    }
  }
  if (width_ % config.heads != 0) throw UsageError("vision.width: must be a multiple of vision.heads");
  auto patch_embed = module_scope(*this, "patch_embed");
  patch_embed_ = patch_embed->register_module(
      "proj", torch::nn::Conv3d(torch::nn::Conv3dOptions(1, width_, {patch_[0], patch_[1], patch_[2]})
                                    .stride({patch_[0], patch_[1], patch_[2]})));
  pos_embed_ = register_parameter("pos_embed", torch::zeros({1, grid_[0], grid_[1], grid_[2], width_}));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  const auto mlp_width = static_cast<int64_t>(static_cast<double>(width_) * config.mlp_ratio);
  for (int64_t i = 0; i < depth_; ++i) blocks_->push_back(TransformerBlock(width_, config.heads, mlp_width));
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width_}).eps(kLayerNormEps)));
}

Grid VisionTransformerImpl::grid_of(const torch::Tensor& image) const {
  if (image.dim() != 5 || image.size(1) != 1) {
    throw UsageError("vision encoder input must be [B,1,D,H,W], got " + std::to_string(image.dim()) + " dimensions");
  }
  Grid grid{};
  for (int i = 0; i < 3; ++i) {
    const int64_t size = image.size(2 + i);
    if (size % patch_[static_cast<size_t>(i)] != 0 || size == 0) {
      throw UsageError("vision encoder input axis " + std::to_string(i) + " has " + std::to_string(size) +
                       " voxels, not a positive multiple of the patch size " +
                       std::to_string(patch_[static_cast<size_t>(i)]));
    }
    grid[static_cast<size_t>(i)] = size / patch_[static_cast<size_t>(i)];
  }
  return grid;
}

std::vector<torch::Tensor> VisionTransformerImpl::forward(const torch::Tensor& image) {
  const Grid grid = grid_of(image);
  auto x = patch_embed_(image).flatten(2).transpose(1, 2);  // [B,C,gD,gH,gW] -> [B,N,C]
  const auto pos = grid == grid_ ? pos_embed_ : interpolate_position_embedding(pos_embed_, grid);
  x = x + pos.view({1, -1, width_});

  const int64_t last = *std::max_element(return_layers_.begin(), return_layers_.end());
  std::vector<torch::Tensor> by_layer(static_cast<size_t>(last) + 1);
  for (int64_t layer = 1; layer <= last; ++layer) {
    x = blocks_->ptr(static_cast<size_t>(layer - 1))->as<TransformerBlockImpl>()->forward(x);
    by_layer[static_cast<size_t>(layer)] = layer == depth_ ? norm_(x) : x;
  }
  std::vector<torch::Tensor> out;
  out.reserve(return_layers_.size());
  for (auto layer : return_layers_) out.push_back(by_layer[static_cast<size_t>(layer)]);
  return out;
}

}  // namespace cagcl::model
