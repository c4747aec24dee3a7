#pragma once
// Writes an evaluation's results into a directory (docs/evaluation.md lists the files):
//   report.json            every figure (NaN -> null), the provenance, the counts of absent/dropped anatomies
//   scores.csv             per volume, family and label: score and ground truth
//   label_metrics.csv      per family and label: AUC with its bootstrap interval, figures at the threshold,
//                          and at the cross-fitted threshold
//   template_auc.csv       per family and label: AUC (and the macro row), the input of the robustness chart
//   roc_curves.csv         per family and label: the ROC points
//   similarity_histogram.csv  cosine bins with same- and cross-anatomy pair counts
//   retrieval.csv          per anatomy and direction: volume-report retrieval Recall@K, and the mean
//   plots/*.svg            ROC curves, AUC per template, similarity histograms (plots/plot_report.py, a
//                          matplotlib script written next to them, reads the CSV/JSON above; rerun it at will)
//   plots/training_curves.png  the run's training curves (ReportOptions::metrics_log; eval/training_curves.hpp)
//   report.html            one page with the tables and the plots inlined: opens offline, can be mailed
// Every file is written atomically.
#include <filesystem>
#include <string>
#include <utility>

#include "eval/report.hpp"

namespace cagcl::eval {

struct ReportOptions {
  ReportOptions() = default;
  ReportOptions(bool plots_, std::string python_) : plots(plots_), python(std::move(python_)) {}
  bool plots = true;   // run the plot script (needs python3 with matplotlib)
  std::string python;  // interpreter; "" = default_python()
  // The evaluated run's RUN/metrics.jsonl: with plots, its training curves up to `max_step` (the checkpoint's
  // step; -1: all) go into plots/training_curves.png, report.json ("training_curves") and the HTML. "" = none.
  std::filesystem::path metrics_log;
  int64_t max_step = -1;
};

// $CAGCL_PYTHON, else Debian's /usr/bin/python3 (where python3-matplotlib installs; a pyenv or venv python3
// earlier on PATH usually lacks it), else python3 from PATH.
std::string default_python();

struct ReportFiles {
  std::filesystem::path json, html;
  bool plots_made = false;
  std::string plot_error;  // why not, when plots were asked for
  bool training_curves_made = false;
  std::string training_curves_error;  // why not, when a metrics log was given and plots asked for
};

nlohmann::ordered_json report_json(const EvalReport& report);
ReportFiles write_report(const EvalReport& report, const std::filesystem::path& dir, const ReportOptions& options);

// The plot script's text (eval/plot_report.py, compiled into the binary).
const std::string& plot_script();

}  // namespace cagcl::eval
