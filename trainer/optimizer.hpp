#pragma once
// The data-parallel optimizer as the training loop sees it: it owns the gradient synchronisation, the global
// gradient-norm clip and the AdamW update. Two implementations: DataParallelAdamW (every rank holds the whole
// AdamW state; gradients all-reduced by GradSync in buckets overlapped with backward) and Zero1AdamW (the state
// sharded across ranks: reduce-scatter gradients, update the local shard, all-gather parameters).
//
// Checkpoints: both split their state the same way, by the ZeRO-1 partition of the current world size
// (state_partition.hpp), so every rank writes only its slice. A slice is a list of pieces, each a range of one
// parameter's flattened state; loading assembles whole parameters from the pieces of any number of ranks, so a
// run may resume with another world size, or switch train.zero1, and get the same state.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "trainer/adamw.hpp"

namespace cagcl::trainer {

struct NamedParameter {
  std::string name;
  torch::Tensor tensor;
};

// A range [start, start + numel) of one parameter's flattened AdamW state.
struct StatePiece {
  std::string param;
  int64_t start = 0;
  torch::Tensor exp_avg;     // 1-D, numel elements, CPU
  torch::Tensor exp_avg_sq;  // 1-D, numel elements, CPU
};

// Whole per-parameter state (what loading assembles from all pieces).
struct FullState {
  int64_t step = 0;                                                        // updates taken
  std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> moments;  // name -> (exp_avg, exp_avg_sq), flat
};

struct OptimizerStepStats {
  double grad_norm = 0;     // global norm before clipping
  double comm_seconds = 0;  // blocked in this step's gradient / parameter collectives
};

class DataParallelOptimizer {
 public:
  virtual ~DataParallelOptimizer() = default;
  // Before each micro-batch's backward; `last` is true for the last micro-batch of the optimizer step (the
  // only one whose backward communicates).
  virtual void before_backward(bool last) = 0;
  // After the last backward: synchronise gradients (sum over ranks), clip to `max_grad_norm` (0 = off), one
  // AdamW update at `lr`, zero the gradients.
  virtual OptimizerStepStats step(double lr, double max_grad_norm) = 0;
  virtual int64_t steps_taken() const = 0;
  // This rank's slice of the state, for its checkpoint file.
  virtual std::vector<StatePiece> state_slice() const = 0;
  // Replaces the state; every parameter must be present in full (DataError naming it otherwise).
  virtual void load_state(const FullState& state) = 0;
};

// Assembles whole parameters from pieces; DataError naming the parameter when a piece does not fit it, or when
// pieces leave part of a parameter uncovered. `numels` gives each parameter's element count.
FullState assemble_state(int64_t step, const std::vector<StatePiece>& pieces,
                         const std::map<std::string, int64_t>& numels, const std::string& origin);

}  // namespace cagcl::trainer
