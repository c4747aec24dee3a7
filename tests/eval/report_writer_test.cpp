#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "eval/fitted_threshold.hpp"
#include "eval/report_writer.hpp"
#include "tests/data/storage_test_util.hpp"

namespace cagcl::eval {
namespace {

using data::testing::TempDir;

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

EvalReport small_report() {
  EvalReport r;
  r.run = {{"protocol", "fvlm16"}, {"checkpoint", "run/checkpoints/step-00000010"}};
  r.volumes = {"v0", "v1", "v2", "v3"};
  r.anatomies = {{"lung", 3, 1, 0}};
  for (const auto& family : {builtin_families()[0], builtin_families()[1]}) {
    FamilyReport f;
    f.family = family;
    f.scores = {{"Emphysema", {0.1, 0.7, 0.4, 0.9}, {0, 1, 0, 1}}, {"Atelectasis", {0.2, 0.3, 0.4, 0.5}, {0, 0, 0, 0}}};
    f.result.family = family.name;
    for (const auto& l : f.scores) f.result.labels.push_back(evaluate_label(l.name, l.score, l.truth));
    f.result.macro = macro_average(f.result.labels);
    f.bootstrap = bootstrap_intervals(f.scores, {50, 1, 0.95});
    f.fitted = cross_fitted_metrics(f.scores, {0, 1, 0, 1}, 2);
    f.fitted_macro = macro_average(f.fitted);
    r.families.push_back(f);
  }
  r.robustness = prompt_robustness({r.families[0].result, r.families[1].result});
  r.similarity = text_similarity({1, 0, 0.6f, 0.8f, 0, 1}, 2, {0, 0, 1}, 2, 20);
  r.similarity_anatomies = {"lung", "heart"};
  return r;
}

TEST(ReportWriter, WritesJsonCsvAndHtmlWithUndefinedLabelsAsNull) {
  TempDir dir;
  const auto files = write_report(small_report(), dir.path(), {false, ""});
  EXPECT_FALSE(files.plots_made);
  const auto j = nlohmann::json::parse(read(dir / "report.json"));
  EXPECT_EQ(j["format"], "cagcl-eval-report");
  EXPECT_EQ(j["volumes"], 4);
  EXPECT_EQ(j["families"][0]["labels"][0]["auc"], 1.0);
  EXPECT_TRUE(j["families"][0]["labels"][1]["auc"].is_null());  // single-class label: undefined
  EXPECT_EQ(j["families"][0]["macro"]["undefined_labels"], 1);
  EXPECT_DOUBLE_EQ(j["summary"]["macro_auc"].get<double>(), 1.0);
  EXPECT_NEAR(j["summary"]["collapse_index"].get<double>(), 0.4, 1e-6);
  EXPECT_EQ(j["anatomies"][0]["absent"], 1);
  const std::string scores = read(dir / "scores.csv");
  EXPECT_EQ(scores.substr(0, scores.find('\n')), "volume,family,label,score,truth");
  EXPECT_NE(scores.find("v1,fvlm,Emphysema,0.7,1"), std::string::npos);
  const std::string metrics = read(dir / "label_metrics.csv");
  EXPECT_NE(metrics.find("fvlm,Atelectasis,4,0,0,nan"), std::string::npos);
  const std::string html = read(dir / "report.html");
  EXPECT_NE(html.find("<html"), std::string::npos);
  EXPECT_NE(html.find("--no-plots"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "plots" / "plot_report.py"));
  EXPECT_TRUE(std::filesystem::exists(dir / "roc_curves.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "similarity_histogram.csv"));
}

TEST(ReportWriter, RetrievalGoesToJsonCsvAndHtmlWithAnAnatomyWithoutQueryAsNull) {
  EvalReport report = small_report();
  auto& r = report.retrieval;
  r.ks = {1, 5};
  const double nan = std::nan("");
  r.anatomies = {{"lung", {3, 4, {0.25, 0.75}}, {2, 3, {0.5, 1.0}}}, {"heart", {0, 1, {nan, nan}}, {0, 0, {nan, nan}}}};
  r.anatomies_in_mean = 1;
  r.mean_image_to_report = {0.25, 0.75};
  r.mean_report_to_image = {0.5, 1.0};
  TempDir dir;
  write_report(report, dir.path(), {false, ""});
  const auto j = nlohmann::json::parse(read(dir / "report.json"));
  const auto& jr = j["retrieval"];
  EXPECT_EQ(jr["k"], nlohmann::json({1, 5}));
  EXPECT_EQ(jr["anatomies_in_mean"], 1);
  EXPECT_DOUBLE_EQ(jr["mean"]["image_to_report"]["R@5"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(jr["anatomies"][0]["report_to_image"]["recall"]["R@1"].get<double>(), 0.5);
  EXPECT_EQ(jr["anatomies"][0]["image_to_report"]["candidates"], 4);
  EXPECT_EQ(jr["anatomies"][1]["in_mean"], false);
  EXPECT_TRUE(jr["anatomies"][1]["image_to_report"]["recall"]["R@1"].is_null());
  const std::string csv = read(dir / "retrieval.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "anatomy,direction,queries,candidates,k,recall");
  EXPECT_NE(csv.find("lung,image_to_report,3,4,5,0.75\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("heart,report_to_image,0,0,1,nan\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("mean,report_to_image,,,5,1\n"), std::string::npos) << csv;
  EXPECT_NE(read(dir / "report.html").find("Volume-report retrieval"), std::string::npos);
}

TEST(ReportWriter, WithoutRetrievalItsJsonIsNull) {
  TempDir dir;
  write_report(small_report(), dir.path(), {false, ""});
  EXPECT_TRUE(nlohmann::json::parse(read(dir / "report.json"))["retrieval"].is_null());
}

TEST(ReportWriter, PlotsAreSvgInlinedInTheHtmlWhenMatplotlibIsThere) {
  if (std::system(("'" + default_python() + "' -c 'import matplotlib' > /dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << "python3-matplotlib is not installed";
  TempDir dir;
  const auto files = write_report(small_report(), dir.path(), {});
  ASSERT_TRUE(files.plots_made) << files.plot_error;
  for (const char* name : {"roc_curves.svg", "template_auc.svg", "similarity_histogram.svg"})
    EXPECT_TRUE(std::filesystem::exists(dir / "plots" / name)) << name;
  const std::string html = read(dir / "report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);  // nothing to fetch: the page opens offline, alone
}

TEST(ReportWriter, AFailingPlotScriptIsReportedNotFatal) {
  TempDir dir;
  const auto files = write_report(small_report(), dir.path(), {true, "/nonexistent/python"});
  EXPECT_FALSE(files.plots_made);
  EXPECT_NE(files.plot_error.find("plot script failed"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "report.html"));
}

// A tiny metrics.jsonl of three steps, as `cagcl train` writes it (docs/metrics-log.md).
std::filesystem::path three_step_log(const TempDir& dir) {
  const auto path = dir / "metrics.jsonl";
  std::ofstream out(path);
  for (int step = 1; step <= 3; ++step)
    out << nlohmann::json{{"event", "step"},     {"invocation", 1},    {"restarts", 0},     {"step", step},
                          {"loss", 4.0 - step},  {"lr", 1e-4},         {"tau_local", 0.07}, {"tau_global", 0.07},
                          {"global_samples", 4}, {"step_seconds", 0.5}}
        << "\n";
  return path;
}

TEST(ReportWriter, ARunsTrainingCurvesAreAFileListedInTheJsonAndInlinedInTheHtml) {
  if (std::system(("'" + default_python() + "' -c 'import matplotlib' > /dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << "python3-matplotlib is not installed";
  TempDir run, dir;
  ReportOptions options;
  options.metrics_log = three_step_log(run);
  options.max_step = 2;
  const auto files = write_report(small_report(), dir.path(), options);
  ASSERT_TRUE(files.training_curves_made) << files.training_curves_error;
  EXPECT_GT(std::filesystem::file_size(dir / "plots" / "training_curves.png"), 0u);
  const auto curves = nlohmann::json::parse(read(dir / "report.json")).at("training_curves");
  EXPECT_EQ(curves.at("file"), "plots/training_curves.png");
  EXPECT_EQ(curves.at("max_step"), 2);
  EXPECT_TRUE(curves.at("error").is_null());
  const std::string html = read(dir / "report.html");
  EXPECT_NE(html.find("<h2>Training curves</h2>"), std::string::npos);
  EXPECT_NE(html.find("src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos);  // the PNG itself, inline
}

TEST(ReportWriter, TrainingCurvesThatCannotBeDrawnAreReportedNotFatal) {
  TempDir run, dir;
  ReportOptions options{true, "/nonexistent/python"};
  options.metrics_log = three_step_log(run);
  const auto files = write_report(small_report(), dir.path(), options);
  EXPECT_FALSE(files.training_curves_made);
  const auto curves = nlohmann::json::parse(read(dir / "report.json")).at("training_curves");
  EXPECT_TRUE(curves.at("file").is_null());
  EXPECT_NE(curves.at("error").get<std::string>().find("/nonexistent/python"), std::string::npos);
  EXPECT_NE(read(dir / "report.html").find("No training curves"), std::string::npos);
}

TEST(ReportWriter, WithoutAMetricsLogTheReportHasNoTrainingCurves) {
  TempDir dir;
  write_report(small_report(), dir.path(), {false, ""});
  EXPECT_FALSE(nlohmann::json::parse(read(dir / "report.json")).contains("training_curves"));
  EXPECT_EQ(read(dir / "report.html").find("Training curves"), std::string::npos);
}

// The plot script runs with an argument vector, not through a shell: a report directory whose name holds quotes
// and a command must neither run that command nor break the plot step. (`python` here is /bin/true, so the test
// needs no matplotlib: only how the script is started is at stake.)
TEST(ReportWriter, AQuoteInTheReportDirectoryRunsNoCommand) {
  TempDir dir;
  const auto marker = dir / "injected";
  const auto out = dir / ("r'; touch '" + marker.filename().string() + "'; '");
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());  // where a shell would have run `touch injected`
  const auto files = write_report(small_report(), out, {true, "/bin/true"});
  std::filesystem::current_path(cwd);
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the directory name ran a command";
  EXPECT_TRUE(files.plots_made) << files.plot_error;
  EXPECT_TRUE(std::filesystem::exists(out / "report.html"));
}

}  // namespace
}  // namespace cagcl::eval
