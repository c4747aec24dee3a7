#pragma once
// AdamW with the whole state on every rank; gradients summed over ranks by GradSync (buckets all-reduced as
// backward produces them). See optimizer.hpp.
#include <memory>

#include "comm/communicator.hpp"
#include "comm/grad_sync.hpp"
#include "trainer/optimizer.hpp"
#include "trainer/state_partition.hpp"

namespace cagcl::trainer {

class DataParallelAdamW : public DataParallelOptimizer {
 public:
  // `params` in registration order, the same on every rank. sync.reduction is forced to sum (the loss is
  // normalised so that the sum over ranks is the global loss, model/contrastive_loss.hpp).
  DataParallelAdamW(std::shared_ptr<Communicator> comm, std::vector<NamedParameter> params, AdamWOptions options,
                    GradSyncOptions sync);

  void before_backward(bool last) override;
  OptimizerStepStats step(double lr, double max_grad_norm) override;
  int64_t steps_taken() const override { return step_; }
  std::vector<StatePiece> state_slice() const override;
  void load_state(const FullState& state) override;

  GradSync& grad_sync() { return *sync_; }

 private:
  std::shared_ptr<Communicator> comm_;
  std::vector<NamedParameter> params_;
  AdamWOptions options_;
  std::unique_ptr<GradSync> sync_;
  std::vector<OwnedRange> owned_;  // this rank's checkpoint slice
  std::vector<torch::Tensor> exp_avg_, exp_avg_sq_;
  int64_t step_ = 0;
};

// Squared-norm sum of the gradients in `grads` (undefined ones skipped), in double.
double squared_norm(const std::vector<torch::Tensor>& grads);
// Multiplies every gradient by max_norm / (norm + 1e-6) when that is below 1 (torch's clip_grad_norm_ rule).
void clip_gradients(const std::vector<torch::Tensor>& grads, double norm, double max_norm);

}  // namespace cagcl::trainer
