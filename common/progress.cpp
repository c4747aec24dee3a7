#include "common/progress.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

namespace cagcl {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

ProgressMeter::ProgressMeter(std::string what, int64_t total, double interval_seconds)
    : what_(std::move(what)), total_(total), interval_(interval_seconds) {}

double ProgressMeter::elapsed_seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

void ProgressMeter::advance(int64_t n) {
  done_ += n;
  const auto now = Clock::now();
  const bool finished = done_ >= total_;
  if (!finished && std::chrono::duration<double>(now - last_log_).count() < interval_) return;
  last_log_ = now;
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  const double eta = rate > 0 ? (total_ - done_) / rate : NAN;
  spdlog::info("{}: {}/{} ({:.0f}%), {:.1f}/s, elapsed {}, ETA {}", what_, done_, total_,
               total_ > 0 ? 100.0 * done_ / total_ : 100.0, rate, format_duration(elapsed),
               finished ? "done" : format_duration(eta));
}

}  // namespace cagcl
