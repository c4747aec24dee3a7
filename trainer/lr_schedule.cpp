#include "trainer/lr_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.hpp"

namespace cagcl::trainer {

LrSchedule::LrSchedule(LrScheduleOptions options) : options_(options) {
  if (options_.total_steps < 1)
    throw UsageError("train.steps: the schedule needs at least 1 step (got " + std::to_string(options_.total_steps) +
                     ")");
  if (options_.lr < 0 || options_.warmup_lr < 0 || options_.min_lr < 0)
    throw UsageError("train.lr, train.warmup_lr, train.min_lr: learning rates must be >= 0");
  if (options_.warmup_steps < 0) throw UsageError("train.warmup_steps: must be >= 0");
}

double LrSchedule::at(int64_t step) const {
  const auto& o = options_;
  if (step < 0) step = 0;
  if (step < o.warmup_steps)
    return o.warmup_lr + (o.lr - o.warmup_lr) * static_cast<double>(step) / static_cast<double>(o.warmup_steps);
  // Cosine over the steps after the warm-up; its last step (total_steps - 1) lands exactly on min_lr.
  const int64_t decay_steps = o.total_steps - o.warmup_steps - 1;
  if (decay_steps <= 0) return o.lr;  // at most one step after the warm-up: it uses the peak
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / static_cast<double>(decay_steps));
  return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1.0 + std::cos(M_PI * progress));
}

}  // namespace cagcl::trainer
