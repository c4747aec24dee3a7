#pragma once
// The training-curves picture of a run: eval/plot_training_curves.py (compiled into the binary) draws the loss
// terms, learning rate, temperatures, throughput and live zero-shot figures of RUN/metrics.jsonl into a PNG,
// keeping only the last line of a step that a resume repeated (docs/metrics-log.md). `cagcl train` draws
// RUN/training_curves.png at the end of a run, `cagcl eval` puts one into its report. Drawing needs Python with
// matplotlib; without it the caller gets the reason, never an exception, because a picture must not fail a run.
#include <cstdint>
#include <filesystem>
#include <string>

namespace cagcl::eval {

struct TrainingCurvesRequest {
  std::filesystem::path metrics;  // RUN/metrics.jsonl
  std::filesystem::path png;      // the picture to write; the curves as drawn go to the same name with .csv
  std::filesystem::path script;   // where the script is written (kept: rerun it at will)
  std::filesystem::path log;      // the script's stdout and stderr
  std::string python;             // interpreter; "" = default_python() (eval/report_writer.hpp)
  int64_t max_step = -1;          // >= 0: leave out every line after this step (an evaluated checkpoint's)
};

struct TrainingCurves {
  bool made = false;
  std::string error;    // why not, when !made
  std::string summary;  // the script's last line: steps drawn, repeated lines dropped
};

// Writes the script and runs `python script METRICS PNG [--max-step N]` (fork/exec, no shell). Every failure
// (no metrics file, the script not writable, no interpreter, no matplotlib, a crash) comes back in `error`.
TrainingCurves draw_training_curves(const TrainingCurvesRequest& request);

// The script's text (eval/plot_training_curves.py).
const std::string& training_curves_script();

}  // namespace cagcl::eval
