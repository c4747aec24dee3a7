#include "eval/training_curves.hpp"

#include <fstream>

#include "common/atomic_file.hpp"
#include "common/subprocess.hpp"
#include "eval/report_writer.hpp"

namespace cagcl::eval {

std::string training_curves_script_text();  // generated from eval/plot_training_curves.py (CMakeLists.txt)

namespace {

// The last non-empty line of the script's log: its summary, or the Python error that stopped it.
std::string last_log_line(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::string last, line;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last.size() > 400 ? last.substr(0, 400) + "..." : last;
}

}  // namespace

const std::string& training_curves_script() {
  static const std::string text = training_curves_script_text();
  return text;
}

TrainingCurves draw_training_curves(const TrainingCurvesRequest& r) {
  TrainingCurves out;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(r.metrics, ec)) {
    out.error = r.metrics.string() + " does not exist";
    return out;
  }
  // A picture left by an earlier attempt would pass for this one's when this one fails.
  std::filesystem::remove(r.png, ec);
  try {
    write_file_atomically(r.script, training_curves_script());
  } catch (const std::exception& e) {
    out.error = std::string("cannot write the plot script: ") + e.what();
    return out;
  }
  std::vector<std::string> argv = {r.python.empty() ? default_python() : r.python, r.script.string(),
                                   r.metrics.string(), r.png.string()};
  if (r.max_step >= 0) argv.insert(argv.end(), {"--max-step", std::to_string(r.max_step)});
  std::string error;
  const int status = run_program(argv, error, r.log);
  const std::string last = last_log_line(r.log);
  if (status != 0) {
    const std::string why = !error.empty() ? error : !last.empty() ? last : "exit status " + std::to_string(status);
    out.error = "the training-curves script failed (" + why + "; see " + r.log.string() + ")";
    return out;
  }
  if (!std::filesystem::is_regular_file(r.png, ec) || std::filesystem::file_size(r.png, ec) == 0) {
    out.error = "the training-curves script wrote no picture (see " + r.log.string() + ")";
    return out;
  }
  out.made = true;
  out.summary = last;
  return out;
}

}  // namespace cagcl::eval
