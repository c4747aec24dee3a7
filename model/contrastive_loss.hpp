#pragma once
// The CA-GCL training loss (docs/losses.md): fVLM's local per-anatomy contrastive loss plus the global
// cross-anatomy contrastive loss, in the distributed "local rows x global columns" form.
//
// Every rank computes the loss terms of its own instances (rows) against all instances of the global batch
// (columns, all-gathered with their gradient path), in both directions: its images against all texts and its
// texts against all images. Each term is divided by the global count it averages over (instances of that
// anatomy, or all instances), so the SUM over ranks of the returned terms is the single-process loss of the
// global batch, and summing the gradients over ranks (GradSync with GradReduction::sum) gives the
// single-process gradient. Memory is O(n_local x N_global): no rank ever holds an N x N matrix.
//
// Collective: every rank must call ca_gcl_loss and then backward() on `total` in every step, also a rank
// with no intact instance (its terms are 0 but still part of the graph, so its backward joins the gathers'
// reduce-scatter).
#include <torch/torch.h>

#include <memory>

#include "comm/communicator.hpp"
#include "config/config.hpp"
#include "model/embeddings.hpp"
#include "model/instances.hpp"

namespace cagcl::model {

struct LossTerms {
  // This rank's share: the sum over ranks equals the single-process loss. total = w_local * local +
  // w_global * global. A term whose weight is 0 is not computed at all and is a constant 0 here.
  torch::Tensor total, local, global;
};

// The loss of the global batch, identical on every rank (for logging; not differentiable).
struct LossValues {
  double total = 0, local = 0, global = 0;
};

// Gathers the columns over `comm` and computes this rank's terms. `tau_local`, `tau_global`: scalar
// temperatures (already clamped by the model); the logits are v.t / tau. With a world-size-1 communicator
// this is the plain single-process loss.
LossTerms ca_gcl_loss(const std::shared_ptr<Communicator>& comm, const Instances& mine, const torch::Tensor& tau_local,
                      const torch::Tensor& tau_global, const LossConfig& options);

// The same terms without communication: `rows` are instances row_offset.. of `columns`, the whole global
// batch. ca_gcl_loss is this with the gathered columns; benches and tests call it to play one rank.
LossTerms ca_gcl_loss_rows(const Instances& rows, int64_t row_offset, const Instances& columns,
                           const torch::Tensor& tau_local, const torch::Tensor& tau_global, const LossConfig& options);

// The lowest value each term can take on this global batch (`all`, every instance): a row with k positives
// cannot go below ln k, since its soft target spreads 1/k over them. The terms weighted as in the loss; what
// training loss sits above this floor is what the model has not yet fitted (docs/learning.md).
LossValues contrastive_loss_floor(const Instances& all, const LossConfig& options);

// Sums every rank's (detached) terms over `comm`: the global batch's loss. One all-reduce of 3 values.
LossValues reduce_loss_values(Communicator& comm, const LossTerms& terms);

}  // namespace cagcl::model
