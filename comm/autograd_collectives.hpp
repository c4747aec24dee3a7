#pragma once
// Collectives for the contrastive loss (open_clip's "gather with grad"). Every rank computes its own rows
// against the columns of all ranks, so the column embeddings are all-gathered with their gradient path kept:
// the backward of the gather is a reduce-scatter (sum) -- rank r receives the sum, over all ranks, of the
// gradient with respect to its own rows' copy. Local batch sizes may differ between ranks: sizes are
// gathered first, rows are padded to the largest, gathered, and the padding dropped again.
//
// Normalisation (docs/distributed.md): if every rank's loss is (its rows' loss terms) / B_global, the losses
// of all ranks sum to the single-process loss of the global batch, and summing the gradients over ranks
// (GradSync with reduction sum) reproduces the single-process gradient. With a per-rank mean over its own b
// rows and equal b on every rank, averaging the gradients (reduction avg, DDP's convention) does the same.
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "comm/communicator.hpp"

namespace cagcl {

struct GatheredRows {
  torch::Tensor rows;          // [sum of sizes, ...], rank 0's rows first
  std::vector<int64_t> sizes;  // dim-0 size of every rank's input
  int64_t offset = 0;          // where this rank's rows start in `rows`
};

// Dim-0 size of every rank's tensor (one all-gather of an int64).
std::vector<int64_t> gather_sizes(Communicator& comm, int64_t local_rows);

// Differentiable all-gather along dim 0 with uneven sizes. `comm` is kept alive until the backward ran.
GatheredRows all_gather_with_grad(const std::shared_ptr<Communicator>& comm, const torch::Tensor& local);

// The same gather without autograd, for flags, ids and labels (any dtype the backend supports).
GatheredRows all_gather_rows(Communicator& comm, const torch::Tensor& local);

}  // namespace cagcl
