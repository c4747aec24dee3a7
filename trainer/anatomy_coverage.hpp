#pragma once
// Warns when an anatomy takes no part in the losses: an anatomy enters them only where it is intact in the
// crop (docs/data-pipeline.md), and a crop that cuts an organ at a face on every sample trains nothing for it,
// silently. The trainer adds this observer on rank 0; it counts StepReport::intact_instances over the first
// `window` steps of this invocation (not of the run: the counts are not checkpointed, so a resume starts a new
// window) and warns once per anatomy that had none. An invocation shorter than the window is checked at its end.
#include <cstdint>
#include <string>
#include <vector>

#include "trainer/training_observer.hpp"

namespace cagcl::trainer {

class AnatomyCoverageCheck : public TrainingObserver {
 public:
  explicit AnatomyCoverageCheck(int64_t window = 20);
  void on_start(const RunInfo& run) override;
  void on_step(const StepReport& report) override;
  void on_finish() override;

  // The anatomies warned about (empty until the check has run, and when every anatomy was intact somewhere).
  const std::vector<std::string>& warned() const { return warned_; }

 private:
  void check();
  int64_t window_;
  std::vector<std::string> anatomies_;
  std::vector<int64_t> totals_;
  int64_t steps_ = 0;
  bool checked_ = false;
  std::vector<std::string> warned_;
};

}  // namespace cagcl::trainer
