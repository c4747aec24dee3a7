#pragma once
// Scaled dot-product attention shared by the ViT, BERT and anatomy pooling. LibTorch 2.x has a fused kernel
// (flash / memory-efficient on GPU, which matters for the base ViT's 1232 tokens); LibTorch 1.13 gets the
// plain softmax(q k^T / sqrt(d)) v, which is what the fused kernel computes.
#include <torch/torch.h>

namespace cagcl::model {

// q [..., Lq, d], k and v [..., Lk, d]; `additive_mask` (optional) broadcasts to [..., Lq, Lk] and is added to
// the scores before the softmax (0 = keep, a large negative number = ignore).
torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                           const torch::Tensor& additive_mask = {});

}  // namespace cagcl::model
