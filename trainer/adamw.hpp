#pragma once
// AdamW (Loshchilov & Hutter; PyTorch's torch.optim.AdamW update, decoupled weight decay) as one function on
// tensors, so the unsharded optimizer and ZeRO-1 apply the very same arithmetic, the first to whole
// parameters and the second to its flat shard of them.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace cagcl::trainer {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

// The usual rule (BERT, timm, open_clip): parameters of one dimension or less -- biases, LayerNorm gains and
// shifts, scalar temperatures -- get no weight decay; matrices, convolutions and embedding tables do.
bool decays(const torch::Tensor& parameter);

// One update, in place on `param`, `exp_avg`, `exp_avg_sq` (same shape as `grad`). `step` is 1-based (the
// bias corrections use it); `weight_decay` is 0 for parameters that do not decay.
void adamw_update(torch::Tensor param, const torch::Tensor& grad, torch::Tensor exp_avg, torch::Tensor exp_avg_sq,
                  double lr, double weight_decay, int64_t step, const AdamWOptions& options);

}  // namespace cagcl::trainer
