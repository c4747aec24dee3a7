#pragma once
// The progress line of rank 0, every train.log_every steps and at the last step of an invocation:
//   step 120/300 | loss 3.412 (local 2.301, global 1.111) | lr 8.7e-05 | 41.3 samples/s | data 1% comm 12% | ETA 2m11s
// samples/s and the shares are over the steps since the previous line; the ETA extrapolates the mean step time
// of this invocation to the rest of the schedule. Validation and checkpoints get a line of their own.
#include <chrono>
#include <cstdint>

#include "trainer/training_observer.hpp"

namespace cagcl::trainer {

class ProgressLog : public TrainingObserver {
 public:
  explicit ProgressLog(int64_t every);
  void on_step(const StepReport& report) override;
  void on_validation(const ValidationReport& report) override;
  void on_checkpoint(const CheckpointReport& report) override;

 private:
  int64_t every_;
  int64_t steps_ = 0, first_step_ = -1;
  double seconds_ = 0, data_ = 0, comm_ = 0, total_seconds_ = 0;
  int64_t samples_ = 0, total_steps_done_ = 0;
};

}  // namespace cagcl::trainer
