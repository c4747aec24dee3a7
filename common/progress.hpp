#pragma once
// Progress and ETA for long loops (synthesis, inspection, conversion): logs at most every few seconds,
// and once at the end, so that a user watching a terminal or a Slurm log sees the job is alive.
#include <chrono>
#include <cstdint>
#include <string>

namespace cagcl {

class ProgressMeter {
 public:
  ProgressMeter(std::string what, int64_t total, double interval_seconds = 5.0);
  // Adds `n` finished items; logs when the interval has passed or the total is reached.
  void advance(int64_t n = 1);
  int64_t done() const { return done_; }
  double elapsed_seconds() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::string what_;
  int64_t total_;
  int64_t done_ = 0;
  double interval_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_log_ = start_;
};

// "1h02m", "3m07s", "12s": compact durations for progress lines.
std::string format_duration(double seconds);

}  // namespace cagcl
