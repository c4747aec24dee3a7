#pragma once
// The learning-rate schedule: linear warm-up from train.warmup_lr to train.lr over train.warmup_steps, then a
// cosine decay to train.min_lr at the end of the schedule (train.steps). A pure function of the step, so a
// resumed run needs nothing but the step counter.
#include <cstdint>

namespace cagcl::trainer {

struct LrScheduleOptions {
  double lr = 1e-4;         // peak, reached at the end of the warm-up
  double warmup_lr = 1e-6;  // at step 0
  double min_lr = 1e-6;     // at the last step and beyond
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
};

class LrSchedule {
 public:
  // UsageError naming the option when total_steps < 1 or a rate is negative.
  explicit LrSchedule(LrScheduleOptions options);
  // Rate used by optimizer step `step` (0-based: the first update uses at(0)).
  double at(int64_t step) const;
  const LrScheduleOptions& options() const { return options_; }

 private:
  LrScheduleOptions options_;
};

}  // namespace cagcl::trainer
