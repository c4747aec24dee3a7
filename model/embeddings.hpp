#pragma once
// The model's output for one batch, what the losses consume. Kept apart from the model so that the losses and
// their tests depend only on this shape, not on the encoders.
#include <torch/torch.h>

namespace cagcl::model {

struct Embeddings {
  torch::Tensor v;  // [B,A,E] float, L2-normalised image embedding per (sample, anatomy)
  torch::Tensor t;  // [B,A,E] float, L2-normalised text embedding per (sample, anatomy)
};

}  // namespace cagcl::model
