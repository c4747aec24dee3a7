#include "trainer/anatomy_coverage.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace cagcl::trainer {

AnatomyCoverageCheck::AnatomyCoverageCheck(int64_t window) : window_(std::max<int64_t>(1, window)) {}

void AnatomyCoverageCheck::on_start(const RunInfo& run) {
  anatomies_ = run.anatomies;
  totals_.assign(anatomies_.size(), 0);
}

void AnatomyCoverageCheck::on_step(const StepReport& report) {
  // A report without counts for every anatomy (filled by hand) says nothing about coverage.
  if (checked_ || report.intact_instances.size() != totals_.size()) return;
  for (size_t i = 0; i < totals_.size(); ++i) totals_[i] += report.intact_instances[i];
  if (++steps_ >= window_) check();
}

void AnatomyCoverageCheck::on_finish() {
  if (!checked_ && steps_ > 0) check();
}

void AnatomyCoverageCheck::check() {
  checked_ = true;
  for (size_t i = 0; i < totals_.size(); ++i) {
    if (totals_[i] > 0) continue;
    warned_.push_back(anatomies_[i]);
    spdlog::warn(
        "anatomy '{}' has not entered any loss in the first {} steps of this invocation: it was never "
        "intact in its crops (absent, or touching a crop or volume face); check data.crop against the "
        "volumes and their anatomy masks (`cagcl inspect DATA` prints each anatomy's intact rate; "
        "docs/data-pipeline.md, intact rule)",
        anatomies_[i], steps_);
  }
}

}  // namespace cagcl::trainer
