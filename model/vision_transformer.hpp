#pragma once
// The 3D vision transformer (fVLM's image encoder): Conv3d patch embedding, learned 3D position embedding,
// pre-norm blocks (qkv with bias, GELU MLP). It returns the patch tokens after the configured blocks, which
// anatomy pooling attends over. No class token: nothing downstream reads one.
//
// Parameter names (below the model's `vision.` prefix): patch_embed.proj.{weight,bias}, pos_embed,
// blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.{weight,bias}, norm.{weight,bias}.
// pos_embed is stored as [1, gD, gH, gW, C] so a checkpoint says which token grid it was trained on.
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <vector>

#include "config/config.hpp"

namespace cagcl::model {

using Grid = std::array<int64_t, 3>;  // tokens along D, H, W

// Resamples a [1, gD, gH, gW, C] position embedding to `grid` (trilinear, align_corners = false): the values
// are unchanged when the grid is. Used when a checkpoint or an input volume has another token grid.
torch::Tensor interpolate_position_embedding(const torch::Tensor& pos_embed, const Grid& grid);

class TransformerBlockImpl : public torch::nn::Module {
 public:
  TransformerBlockImpl(int64_t width, int64_t heads, int64_t mlp_width);
  torch::Tensor forward(const torch::Tensor& x);  // [B,N,C] -> [B,N,C]

 private:
  int64_t heads_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr}, fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(TransformerBlock);

class VisionTransformerImpl : public torch::nn::Module {
 public:
  // `grid` is the token grid the position embedding is learned on (data.crop / vision.patch).
  VisionTransformerImpl(const VisionConfig& config, const Grid& grid);

  // image [B,1,D,H,W] with D,H,W multiples of the patch -> one [B,N,C] tensor per vision.return_layers entry,
  // in that order (N = tokens in D-major, then H, then W order). Block `depth`'s output is layer-normed.
  // An input whose token grid differs from the learned one uses the interpolated position embedding.
  std::vector<torch::Tensor> forward(const torch::Tensor& image);

  Grid grid_of(const torch::Tensor& image) const;  // UsageError when the image is not a multiple of the patch
  const Grid& grid() const { return grid_; }
  const std::array<int64_t, 3>& patch() const { return patch_; }
  int64_t width() const { return width_; }
  const torch::Tensor& pos_embed() const { return pos_embed_; }

 private:
  std::array<int64_t, 3> patch_;
  int64_t width_;
  int64_t depth_;
  std::vector<int64_t> return_layers_;
  Grid grid_;
  torch::nn::Conv3d patch_embed_{nullptr};
  torch::Tensor pos_embed_;
  torch::nn::ModuleList blocks_;
  torch::nn::LayerNorm norm_{nullptr};
};
TORCH_MODULE(VisionTransformer);

}  // namespace cagcl::model
