// Volume names and provenance come from outside (dataset files, paths): bytes that are not valid UTF-8 must not
// stop the report from being written; they appear as U+FFFD in report.json and report.html.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "eval/fitted_threshold.hpp"
#include "eval/report_writer.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::eval {
namespace report_writer_utf8_test {
namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ReportWriterUtf8, InvalidUtf8InNamesAndProvenanceIsReplacedNotFatal) {
  test_support::TempDir dir;
  EvalReport r;
  r.run = {{"checkpoint", "run/\xff/step-00000010"}, {"dataset", {{"dir", "data/\xc3"}}}};
  r.volumes = {"v\xfe", "v1", "v2", "v3"};
  r.anatomies = {{"lung\xff", 3, 1, 0}};
  for (const auto& family : {builtin_families()[0], builtin_families()[1]}) {
    FamilyReport f;
    f.family = family;
    f.scores = {{"Emphysema", {0.1, 0.7, 0.4, 0.9}, {0, 1, 0, 1}}};
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
  write_report(r, dir.path(), {false, ""});
  const auto j = nlohmann::json::parse(read(dir / "report.json"));
  EXPECT_NE(j.dump().find("run/\xef\xbf\xbd/step"), std::string::npos) << j.dump();
  EXPECT_NE(read(dir / "report.html").find("run/\xef\xbf\xbd/step"), std::string::npos);
}

}  // namespace
}  // namespace report_writer_utf8_test
}  // namespace cagcl::eval
