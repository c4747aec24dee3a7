#pragma once
// Anatomy pooling (fVLM): one embedding per (sample, anatomy) from the ViT tokens. A token belongs to an
// anatomy when any voxel of that anatomy lies in its patch. Each anatomy has a learnable query; one
// multi-head attention, shared by all anatomies, attends from that query to the anatomy's tokens of every
// returned depth (the others are masked out); a LayerNorm shared by all anatomies, then a per-anatomy linear
// map projects to E and the result is L2-normalised.
//
// Why the LayerNorm (CLIP's ln_post): without it the attention output of a freshly initialised model is tiny
// (two N(0, 0.02) maps in a row), and the L2 normalisation divides the gradient by that tiny norm; the first
// step's gradient norm was ~1900, almost all of it in the projection biases, and training crawled with
// spikes above 100 (docs/learning.md).
//
// Parameter names (below the model's `pooling.` prefix): queries [A,C]; attention.in_proj_weight [3C,C],
// attention.in_proj_bias [3C], attention.out_proj.{weight,bias} (the layout of PyTorch's
// nn.MultiheadAttention); norm.{weight,bias} [C]; projections.K.weight [E,C] for anatomy K (0-based).
//
// Why no projection bias (as CLIP's projections): a per-anatomy bias is a shortcut to the global loss's
// "which anatomy" that needs no image content, and once the bias dominates, the normalised embedding hardly
// moves with the image: the local loss is left without a gradient (docs/learning.md).
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <vector>

namespace cagcl::model {

// anatomy [B,D,H,W] integer label map (k = anatomy k, 1-based) -> [B,A,N] bool: token n contains a voxel of
// anatomy a+1. The same as max-pooling each anatomy's binary mask with kernel = stride = patch, computed on
// the label map without materialising A float masks of the full volume. D,H,W must be multiples of the patch.
torch::Tensor token_membership(const torch::Tensor& anatomy, int64_t num_anatomies,
                               const std::array<int64_t, 3>& patch);

class AnatomyPoolingImpl : public torch::nn::Module {
 public:
  AnatomyPoolingImpl(int64_t num_anatomies, int64_t width, int64_t heads, int64_t embed_dim);

  // tokens: one [B,N,C] tensor per returned depth; membership [B,A,N] bool -> [B,A,E], unit rows.
  // An anatomy with no token gets a finite embedding (the projection of a zero attention output), never NaN;
  // it depends on no token.
  torch::Tensor forward(const std::vector<torch::Tensor>& tokens, const torch::Tensor& membership);

  int64_t num_anatomies() const { return num_anatomies_; }

 private:
  int64_t num_anatomies_;
  int64_t width_;
  int64_t heads_;
  torch::Tensor queries_;
  torch::Tensor in_proj_weight_, in_proj_bias_;
  torch::nn::Linear out_proj_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::ModuleList projections_;
};
TORCH_MODULE(AnatomyPooling);

}  // namespace cagcl::model
