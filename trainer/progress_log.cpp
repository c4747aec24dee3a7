#include "trainer/progress_log.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "common/progress.hpp"

namespace cagcl::trainer {
namespace {

std::string fraction(double v) { return std::isfinite(v) ? fmt::format("{:.2f}", v) : std::string("n/a"); }

// "zero-shot at step 300: macro AUC 0.71 (fvlm 0.70, ctclip 0.72, ...), template SD 0.02, collapse 0.31,
// R@1/5/10 0.10/0.35/0.52 (3.1 s)"
void log_zero_shot(int64_t step, const ZeroShotFigures& z) {
  std::string families;
  for (size_t f = 0; f < z.families.size() && f < z.macro_auc.size(); ++f)
    families += (families.empty() ? "" : ", ") + z.families[f] + " " + fraction(z.macro_auc[f]);
  spdlog::info("zero-shot at step {}: macro AUC {} ({}), template SD {}, collapse {}, R@1/5/10 {}/{}/{} ({:.1f} s)",
               step, fraction(z.macro_auc_mean), families, fraction(z.template_sd), fraction(z.collapse_index),
               fraction(z.recall_at_1), fraction(z.recall_at_5), fraction(z.recall_at_10), z.seconds);
}

}  // namespace

ProgressLog::ProgressLog(int64_t every) : every_(std::max<int64_t>(1, every)) {}

void ProgressLog::on_step(const StepReport& r) {
  ++steps_;
  ++total_steps_done_;
  seconds_ += r.step_seconds;
  total_seconds_ += r.step_seconds;
  data_ += r.data_wait_seconds;
  comm_ += r.comm_seconds;
  samples_ += r.global_samples;
  if (r.step % every_ != 0 && r.step != r.total_steps) return;
  const double eta =
      total_seconds_ / static_cast<double>(total_steps_done_) * static_cast<double>(r.total_steps - r.step);
  const double rate = seconds_ > 0 ? static_cast<double>(samples_) / seconds_ : 0.0;
  spdlog::info(
      "step {}/{} | loss {:.4f} (local {:.4f}, global {:.4f}) | lr {:.2e} | tau {:.4f} | grad {:.3f} | "
      "{:.1f} samples/s | data {:.0f}% comm {:.0f}% | ETA {}",
      r.step, r.total_steps, r.loss_total, r.loss_local, r.loss_global, r.lr, r.tau_local, r.grad_norm, rate,
      seconds_ > 0 ? 100.0 * data_ / seconds_ : 0.0, seconds_ > 0 ? 100.0 * comm_ / seconds_ : 0.0,
      format_duration(eta));
  steps_ = 0;
  seconds_ = data_ = comm_ = 0;
  samples_ = 0;
}

void ProgressLog::on_validation(const ValidationReport& r) {
  spdlog::info("validation at step {}: loss {:.4f} (local {:.4f}, global {:.4f})", r.step, r.loss_total, r.loss_local,
               r.loss_global);
  if (r.zero_shot) log_zero_shot(r.step, *r.zero_shot);
}

void ProgressLog::on_checkpoint(const CheckpointReport& r) {
  spdlog::info("checkpoint step {} {} in {:.2f} s ({:.1f} MB on this rank)", r.step, r.ok ? "committed" : "FAILED",
               r.seconds, r.bytes / 1e6);
}

}  // namespace cagcl::trainer
