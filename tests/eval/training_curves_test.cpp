// The training-curves picture (eval/training_curves.hpp): drawn from a metrics.jsonl whose steps a resume
// repeated, keeping the last line of each step; cut at --max-step; and a missing interpreter is reported in the
// result, never thrown (a picture must not fail a run).
#include "eval/training_curves.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "eval/report_writer.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::eval {
namespace {

bool have_matplotlib() {
  return std::system(("'" + default_python() + "' -c 'import matplotlib' > /dev/null 2>&1").c_str()) == 0;
}

nlohmann::json step_line(int64_t invocation, int64_t restarts, int64_t step, double loss) {
  return {{"event", "step"},     {"invocation", invocation}, {"restarts", restarts},    {"step", step},
          {"loss", loss},        {"loss_local", loss / 2},   {"loss_global", loss / 2}, {"lr", 1e-4 * step},
          {"tau_local", 0.07},   {"tau_global", 0.07},       {"global_samples", 8},     {"step_seconds", 0.5},
          {"time", 1.7e9 + step}};
}

// Invocation 1 trains steps 1-4 and checkpoints at 2; invocation 2 (restarts 1) resumes at 2 and trains 3-6, so
// steps 3 and 4 appear twice: their second lines (loss 10 + step) are the ones the weights descend from.
// A torn last line, as a killed writer leaves, ends the file.
std::filesystem::path resumed_log(const std::filesystem::path& dir) {
  const auto path = dir / "metrics.jsonl";
  std::ofstream out(path);
  out << nlohmann::json{{"event", "start"}, {"invocation", 1}, {"restarts", 0}, {"run", "demo"}} << "\n";
  for (int64_t s = 1; s <= 4; ++s) out << step_line(1, 0, s, s) << "\n";
  out << nlohmann::json{{"event", "validation"},
                        {"invocation", 1},
                        {"restarts", 0},
                        {"step", 2},
                        {"loss", 3.0},
                        {"loss_local", 1.0},
                        {"loss_global", 2.0},
                        {"zero_shot",
                         {{"macro_auc_mean", 0.6}, {"macro_auc", {{"fvlm", 0.6}}}, {"recall_at_1", nullptr}}}}
      << "\n";
  out << nlohmann::json{{"event", "start"}, {"invocation", 2}, {"restarts", 1}, {"run", "demo"}} << "\n";
  for (int64_t s = 3; s <= 6; ++s) out << step_line(2, 1, s, 10 + s) << "\n";
  out << R"({"event":"step","invocation":2,"st)";
  return path;
}

// {step: loss} from the CSV the script writes beside the picture: the curve as drawn.
std::map<int64_t, double> drawn_losses(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("step,invocation,restarts,loss,", 0), 0u) << header;
  std::map<int64_t, double> out;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string step, invocation, restarts, loss;
    std::getline(row, step, ','), std::getline(row, invocation, ','), std::getline(row, restarts, ',');
    std::getline(row, loss, ',');
    out[std::stoll(step)] = std::stod(loss);
  }
  return out;
}

bool is_png(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  return in && std::string(magic, 8) == "\x89PNG\r\n\x1a\n";
}

TrainingCurvesRequest request_in(const test_support::TempDir& dir, const std::filesystem::path& metrics) {
  TrainingCurvesRequest r;
  r.metrics = metrics;
  r.png = dir / "training_curves.png";
  r.script = dir / "plot_training_curves.py";
  r.log = dir / "training_curves.log";
  return r;
}

TEST(TrainingCurves, RepeatedStepsAfterAResumeAreDrawnOnceFromTheirLastLine) {
  if (!have_matplotlib()) GTEST_SKIP() << "python3-matplotlib is not installed";
  test_support::TempDir dir;
  const auto r = request_in(dir, resumed_log(dir.path()));
  const auto curves = draw_training_curves(r);
  ASSERT_TRUE(curves.made) << curves.error;
  EXPECT_TRUE(is_png(r.png));
  EXPECT_GT(std::filesystem::file_size(r.png), 1000u);
  EXPECT_NE(curves.summary.find("6 steps"), std::string::npos) << curves.summary;
  EXPECT_NE(curves.summary.find("2 repeated step lines dropped"), std::string::npos) << curves.summary;
  const std::map<int64_t, double> expected = {{1, 1}, {2, 2}, {3, 13}, {4, 14}, {5, 15}, {6, 16}};
  EXPECT_EQ(drawn_losses(dir / "training_curves.csv"), expected);
}

TEST(TrainingCurves, MaxStepLeavesOutTheStepsAfterTheEvaluatedCheckpoint) {
  if (!have_matplotlib()) GTEST_SKIP() << "python3-matplotlib is not installed";
  test_support::TempDir dir;
  auto r = request_in(dir, resumed_log(dir.path()));
  r.max_step = 4;
  const auto curves = draw_training_curves(r);
  ASSERT_TRUE(curves.made) << curves.error;
  const std::map<int64_t, double> expected = {{1, 1}, {2, 2}, {3, 13}, {4, 14}};
  EXPECT_EQ(drawn_losses(dir / "training_curves.csv"), expected);
}

// No matplotlib needed: the interpreter itself is missing. An old picture is removed rather than left to pass
// for this one.
TEST(TrainingCurves, AMissingInterpreterIsReportedNotThrownAndLeavesNoPicture) {
  test_support::TempDir dir;
  auto r = request_in(dir, resumed_log(dir.path()));
  r.python = (dir / "no-such-python").string();
  std::ofstream(r.png) << "an earlier picture";
  TrainingCurves curves;
  EXPECT_NO_THROW(curves = draw_training_curves(r));
  EXPECT_FALSE(curves.made);
  EXPECT_NE(curves.error.find("no-such-python"), std::string::npos) << curves.error;
  EXPECT_FALSE(std::filesystem::exists(r.png));
  EXPECT_TRUE(std::filesystem::exists(r.script));  // written, to be run by hand once Python is there
}

TEST(TrainingCurves, AMissingMetricsLogIsReportedNotThrown) {
  test_support::TempDir dir;
  const auto curves = draw_training_curves(request_in(dir, dir / "metrics.jsonl"));
  EXPECT_FALSE(curves.made);
  EXPECT_NE(curves.error.find("does not exist"), std::string::npos) << curves.error;
}

}  // namespace
}  // namespace cagcl::eval
